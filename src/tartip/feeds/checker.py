"""Evaluating a GBFS feed as a person deciding whether to accept a company's feed would.

``check_feed`` reads every file of the feed once (no previous state, no sampling: every record is
schema-checked) and ``FeedCheck.lines`` writes the verdict as plain text: version and language,
each file's fetch, vehicles and their types, freshness (age of ``last_updated`` against ``ttl``),
stations, geofencing zones, and every problem with its file and JSON path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import httpx

from tartip.feeds.adapters.base import FeedSource, FileReport, PullReport
from tartip.feeds.adapters.gbfs import GbfsAdapter
from tartip.feeds.enums import PullOutcome
from tartip.settings import Settings

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREACHABLE = 3


@dataclass
class FeedCheck:
    """The verdict on one feed."""

    url: str
    report: PullReport
    now: datetime
    stale_after_s: float

    @property
    def reachable(self) -> bool:
        """Whether the registered URL answered with a GBFS document."""
        first = self.report.files[0] if self.report.files else None
        return first is not None and first.outcome is not PullOutcome.error

    @property
    def failed_files(self) -> list[FileReport]:
        """Fetches that ended in an error."""
        return [f for f in self.report.files if f.outcome is PullOutcome.error]

    @property
    def problem_count(self) -> int:
        """Schema problems, rejected records and failed files, all files together."""
        files = self.report.files
        return sum(f.schema_problems + f.records_rejected for f in files) + len(self.failed_files)

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid (problems found), 3 unreachable or not a usable GBFS document."""
        if not self.reachable:
            return EXIT_UNREACHABLE
        return EXIT_INVALID if self.problem_count else EXIT_VALID

    def lines(self) -> list[str]:
        """The verdict as text, one line per item."""
        out = [f"GBFS feed {self.url}"]
        out += self._identity()
        out += ["", "Files:"] + [_file_line(f) for f in self.report.files]
        out += ["", *self._vehicles(), *self._freshness(), *self._places()]
        out += ["", *self._problems(), "", self._verdict()]
        return out

    def _identity(self) -> list[str]:
        source = self.report.source
        gbfs = source.file_state.get("gbfs") or {}
        lines = [f"  version: {source.version or 'not declared'}"]
        if gbfs.get("languages"):
            offered = ", ".join(gbfs["languages"])
            lines.append(f"  language: {gbfs.get('language')} (offered: {offered})")
        system = self.report.system
        if system:
            lines.append(
                f"  system: {system.get('name') or '?'} (id {system.get('system_id')}, "
                f"time zone {system.get('timezone')})"
            )
        return lines

    def _vehicles(self) -> list[str]:
        snapshot = self.report.vehicles
        if snapshot is None:
            return ["Vehicles: none read"]
        observations = snapshot.observations
        by_type = Counter(o.vehicle_type_id or "(no type)" for o in observations)
        by_status = Counter(o.status.value for o in observations)
        names = {t.vehicle_type_id: t for t in self.report.vehicle_types or []}
        lines = [f"Vehicles: {len(observations)}"]
        lines.append("  by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
        for type_id, count in by_type.most_common():
            info = names.get(type_id)
            label = f" ({info.form_factor}, {info.propulsion_type}, {info.name})" if info else ""
            lines.append(f"  type {type_id}{label}: {count}")
        return lines

    def _freshness(self) -> list[str]:
        snapshot = self.report.vehicles
        if snapshot is None or snapshot.last_updated is None:
            return ["Freshness: unknown (no last_updated)"]
        age = self.now.timestamp() - snapshot.last_updated
        ttl = snapshot.ttl or 0
        verdict = "fresh" if age <= ttl + self.stale_after_s else "STALE"
        return [
            f"Freshness: last_updated {_duration(age)} ago, ttl {ttl} s: {verdict} "
            f"(stale when older than ttl + {self.stale_after_s:.0f} s)"
        ]

    def _places(self) -> list[str]:
        stations = self.report.stations
        zones = self.report.geofences
        lines = [f"Stations: {len(stations) if stations is not None else 'none published'}"]
        if zones is None:
            lines.append("Geofencing zones: none published")
        else:
            rules = "yes" if zones.global_rules else "no"
            lines.append(f"Geofencing zones: {len(zones.zones)} (global rules: {rules})")
        return lines

    def _problems(self) -> list[str]:
        lines = [f"Problems: {self.problem_count}"]
        for f in self.report.files:
            if f.error:
                lines.append(f"  {f.file}: {f.error}")
            lines += [f"  {f.file}: {p.where}: {p.message}" for p in f.rejected]
            lines += [f"  {f.file}: {p.where}: {p.message}" for p in f.schema]
        notes = [(f.file, p) for f in self.report.files for p in f.notes]
        if notes:
            lines.append(f"Notes (read liberally, not counted): {len(notes)}")
            lines += [f"  {file}: {p.where}: {p.message}" for file, p in notes]
        return lines

    def _verdict(self) -> str:
        if not self.reachable:
            if not self.report.files:
                return "UNREACHABLE: nothing fetched"
            first = self.report.files[0]
            status = first.http_status
            label = "NOT USABLE" if status is not None and status < 400 else "UNREACHABLE"
            return f"{label}: {first.error}"
        if self.problem_count:
            return f"INVALID: {self.problem_count} problem(s)"
        return "VALID"


def _duration(seconds: float) -> str:
    if seconds < 0:
        return f"{-seconds:.0f} s in the future (clocks differ)"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _file_line(f: FileReport) -> str:
    size = f"{f.bytes:,} B" if f.bytes is not None else "-"
    latency = f"{f.latency_ms:.0f} ms" if f.latency_ms is not None else "-"
    records = f"{f.records} records" if f.records is not None else ""
    status = f.http_status if f.http_status is not None else "-"
    counts = f"{f.records_rejected} rejected, {f.schema_problems} schema problems"
    return (
        f"  {f.file:<20} {f.outcome.value:<12} HTTP {status!s:<4} {size:>12} {latency:>8}  "
        f"{records} ({counts})"
    )


def check_feed(
    client: httpx.Client, settings: Settings, *, url: str, language: str | None, now: datetime
) -> FeedCheck:
    """Read every file of the feed at ``url`` and check every record."""
    adapter = GbfsAdapter(client=client, settings=settings, full_check=True)
    source = FeedSource(url=url, language=language, default_locale=settings.default_locale)
    report = adapter.pull(source, now=now)
    return FeedCheck(url=url, report=report, now=now, stale_after_s=settings.stale_after_s)
