"""The GBFS adapter: a feed registered by its ``gbfs.json`` or by one file, versions 1.0 – 3.0.

A poll reads, in order: auto-discovery (when due, or on first contact), the static files that are
due (``system_information``, ``vehicle_types``, ``station_information``), the vehicle file
(``vehicle_status`` 3.0 or ``free_bike_status`` ≤2.3; every poll), ``station_status`` (every
poll) and ``geofencing_zones`` (when due). A file whose ``last_updated`` did not change is not read
again. On first contact the registered URL's body tells whether it is auto-discovery or one file.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import msgspec

from tartip.core.clock import utcnow
from tartip.core.errors import FeedMalformed, Problem
from tartip.feeds import conformance
from tartip.feeds.adapters.base import (
    FeedSource,
    FileReport,
    PullReport,
    VehicleSnapshot,
    static_interval_s,
)
from tartip.feeds.enums import PullOutcome
from tartip.feeds.gbfs import discovery, static, vehicles
from tartip.feeds.gbfs.values import (
    declared_version,
    decode_json,
    language_preference,
    time_or_none,
    ttl_of,
)
from tartip.feeds.http import Fetched, fetch
from tartip.settings import Settings

log = logging.getLogger(__name__)

_Reader = Callable[["_Pull", Any, FileReport], None]


class GbfsAdapter:
    """Reads GBFS feeds (see ``tartip.feeds.adapters.base`` for the contract)."""

    def __init__(
        self, *, client: httpx.Client, settings: Settings, full_check: bool = False
    ) -> None:
        self.client = client
        self.settings = settings
        self.full_check = full_check

    def pull(self, source: FeedSource, *, now: datetime) -> PullReport:
        """Fetch and read what is due for ``source`` at ``now``."""
        return _Pull(self, copy.deepcopy(source), now).run()


class _Pull:
    """One poll of one feed: the fetches, in order, and what they gave."""

    def __init__(self, adapter: GbfsAdapter, source: FeedSource, now: datetime) -> None:
        self.client = adapter.client
        self.settings = adapter.settings
        self.full = adapter.full_check
        self.source = source
        self.now = now
        self.report = PullReport(source=source)
        self.languages = language_preference(source.language, source.default_locale)
        self._prefetched: dict[str, tuple[FileReport, Fetched]] = {}

    def run(self) -> PullReport:
        """Fetch and read everything due."""
        urls = self._urls()
        if urls is None:
            return self.report
        for name in ("system_information", "vehicle_types", "station_information"):
            if name in urls and self._due(name):
                self._static(name, urls[name])
        vehicle_file = next((n for n in discovery.VEHICLE_FILES if n in urls), None)
        if vehicle_file is not None:
            self._vehicles(vehicle_file, urls[vehicle_file])
        if "station_status" in urls:
            self._static("station_status", urls["station_status"])
        if "geofencing_zones" in urls and self._due("geofencing_zones"):
            self._static("geofencing_zones", urls["geofencing_zones"])
        return self.report

    # --- which files, and when -------------------------------------------------------------

    def _urls(self) -> dict[str, str] | None:
        known = self.source.feed_urls
        if not known:
            return self._first_contact()
        self.report.main_file = _main_file(known, self.source.url)
        if "gbfs" in known and self._due("gbfs"):
            self._discover(*self._get("gbfs", known["gbfs"]))
        return self.source.feed_urls

    def _first_contact(self) -> dict[str, str] | None:
        url = self.source.url
        self.report.main_file = "gbfs"
        report, fetched = self._get("gbfs", url)
        if fetched is None:
            return None
        try:
            kind = discovery.detect_file(fetched.body, url=url, content_type=fetched.content_type)
        except FeedMalformed as exc:
            report.fail(exc.message)
            return None
        if kind is None:
            report.fail("not a GBFS document: its data has none of the keys GBFS files have")
            return None
        if kind == "gbfs":
            return self._discover(report, fetched)
        if kind not in discovery.POLLED_FILES:
            report.fail(f"a {kind} document: register one system's gbfs.json, or one of its files")
            return None
        # A single file: remember its role, and read the body already fetched in its step.
        report.file = kind
        self.source.file_state[kind] = self.source.file_state.pop("gbfs", {})
        self.source.feed_urls = {kind: url}
        self.report.main_file = kind
        self._prefetched[kind] = (report, fetched)
        self.report.files.remove(report)
        return self.source.feed_urls

    def _due(self, name: str) -> bool:
        if self.full or name == self.report.main_file:
            return True
        state = self.source.file_state.get(name) or {}
        fetched_at = state.get("fetched_at")
        if fetched_at is None:
            return True
        interval = static_interval_s(state.get("ttl"), self.settings)
        return bool(self.now.timestamp() >= float(fetched_at) + interval)

    # --- fetching ---------------------------------------------------------------------------

    def _get(self, name: str, url: str) -> tuple[FileReport, Fetched | None]:
        if name in self._prefetched:
            report, fetched = self._prefetched.pop(name)
            self.report.files.append(report)
            return report, fetched
        state = self.source.file_state.setdefault(name, {})
        if state.get("url") != url:
            state.clear()
            state["url"] = url
        report = FileReport(file=name, url=url, started_at=utcnow())
        self.report.files.append(report)
        fetched = fetch(
            self.client,
            url,
            max_bytes=self.settings.max_feed_bytes,
            etag=None if self.full else state.get("etag"),
            last_modified=None if self.full else state.get("last_modified"),
        )
        report.http_status, report.latency_ms = fetched.status, fetched.latency_ms
        report.bytes = len(fetched.body)
        if fetched.error is not None:
            report.fail(fetched.error)
            log.warning("feed file %s (%s): %s", name, url, fetched.error)
            return report, None
        state.update(fetched_at=self.now.timestamp())
        state.update(etag=fetched.etag or state.get("etag"))
        state.update(last_modified=fetched.last_modified or state.get("last_modified"))
        if fetched.not_modified:
            report.outcome = PullOutcome.not_modified
            return report, None
        return report, fetched

    def _unchanged(self, name: str, report: FileReport, stamps: dict[str, Any]) -> bool:
        """Record the document's stamps; True when its ``last_updated`` is the one read last."""
        report.version = declared_version(stamps.get("version"))
        report.last_updated = time_or_none(stamps.get("last_updated"))
        report.ttl = ttl_of(stamps.get("ttl"))
        state = self.source.file_state[name]
        previous = state.get("last_updated")
        state.update(ttl=report.ttl)
        if self.full or report.last_updated is None or previous != report.last_updated:
            return False
        report.outcome = PullOutcome.not_modified
        return True

    def _remember(self, name: str, report: FileReport) -> None:
        self.source.file_state[name].update(
            last_updated=report.last_updated, version=report.version
        )
        if "gbfs" not in self.source.feed_urls and name == self.report.main_file:
            # A feed registered by one file has no gbfs.json: the file's version is the feed's.
            self.source.version = report.version or self.source.version

    # --- reading ----------------------------------------------------------------------------

    def _discover(self, report: FileReport, fetched: Fetched | None) -> dict[str, str] | None:
        if fetched is None:
            return self.source.feed_urls or None
        try:
            doc = decode_json(fetched.body, content_type=fetched.content_type)
            found = discovery.read_discovery(
                doc, language=self.source.language, default_locale=self.source.default_locale
            )
        except FeedMalformed as exc:
            report.fail(exc.message)
            return self.source.feed_urls or None
        self._unchanged("gbfs", report, doc if isinstance(doc, dict) else {})
        report.records = len(found.feeds)
        report.notes.extend(found.problems)
        self._check(report, doc, "gbfs", declared=found.version)
        self.source.feed_urls = {**found.feeds, "gbfs": self.source.url}
        self.source.version = found.version or self.source.version
        self.source.file_state["gbfs"].update(language=found.language, languages=found.languages)
        self._remember("gbfs", report)
        self.report.main_file = _main_file(self.source.feed_urls, self.source.url)
        return self.source.feed_urls

    def _static(self, name: str, url: str) -> None:
        report, fetched = self._get(name, url)
        if fetched is None:
            return
        try:
            doc = decode_json(fetched.body, content_type=fetched.content_type)
            if self._unchanged(name, report, doc if isinstance(doc, dict) else {}):
                return
            _READERS[name](self, doc, report)
        except FeedMalformed as exc:
            report.fail(exc.message)
            return
        sample = self.settings.schema_sample_records if name == "station_status" else None
        self._check(report, doc, name, declared=report.version, sample=sample)
        self._remember(name, report)

    def _vehicles(self, name: str, url: str) -> None:
        report, fetched = self._get(name, url)
        if fetched is None:
            return
        try:
            envelope = vehicles.read_envelope(fetched.body, content_type=fetched.content_type)
        except FeedMalformed as exc:
            report.fail(exc.message)
            return
        if self._unchanged(name, report, envelope.header):
            return
        stations = dict(self.source.station_coords)
        stations.update((s.station_id, (s.lon, s.lat)) for s in self.report.stations or [])
        read = vehicles.read_records(envelope, stations=stations)
        report.records = len(envelope.raws)
        report.rejected.extend(read.rejected)
        report.notes.extend([*envelope.problems, *read.notes])
        self._check_vehicles(report, envelope, fetched.body)
        if envelope.raws and not read.observations:
            report.fail(f"every one of its {len(envelope.raws)} vehicle records was rejected")
            return
        self.report.vehicles = VehicleSnapshot(read.observations, report.last_updated, report.ttl)
        self._remember(name, report)

    def _check_vehicles(
        self, report: FileReport, envelope: vehicles.VehicleEnvelope, body: bytes
    ) -> None:
        declared = envelope.version or self.source.version
        if self.full:
            doc = msgspec.json.decode(body)
            self._check(report, doc, envelope.file, declared=declared)
            return
        result = conformance.check_vehicle_sample(
            envelope.header,
            envelope.records_key,
            envelope.raws,
            file=envelope.file,
            declared=declared,
            sample=self.settings.schema_sample_records,
        )
        self._add_conformance(report, result)

    def _check(
        self,
        report: FileReport,
        doc: Any,
        file: str,
        *,
        declared: str | None,
        sample: int | None = None,
    ) -> None:
        shape = (
            "3.0" if isinstance(doc, dict) and isinstance(doc.get("last_updated"), str) else None
        )
        result = conformance.check_document(
            doc, file=file, declared=declared or self.source.version, doc_shape=shape, sample=sample
        )
        self._add_conformance(report, result)

    @staticmethod
    def _add_conformance(report: FileReport, result: conformance.Conformance) -> None:
        report.schema.extend(result.problems)
        report.sampled = result.sampled
        if result.skipped is not None:
            report.notes.append(Problem("(top level)", result.skipped))

    # --- the static readers (one per file name) ---------------------------------------------

    def read_system(self, doc: Any, report: FileReport) -> None:
        """``system_information``."""
        self.report.system = static.read_system_information(doc, languages=self.languages)
        report.records = 1

    def read_types(self, doc: Any, report: FileReport) -> None:
        """``vehicle_types``."""
        read = static.read_vehicle_types(doc, languages=self.languages)
        self._take(report, read)
        self.report.vehicle_types = read.content

    def read_stations(self, doc: Any, report: FileReport) -> None:
        """``station_information``."""
        read = static.read_stations(doc, languages=self.languages)
        self._take(report, read)
        self.report.stations = read.content

    def read_station_status(self, doc: Any, report: FileReport) -> None:
        """``station_status``."""
        read = static.read_station_status(doc)
        self._take(report, read)
        self.report.station_status = read.content

    def read_geofences(self, doc: Any, report: FileReport) -> None:
        """``geofencing_zones``."""
        version = report.version or self.source.version
        read = static.read_geofences(doc, languages=self.languages, version=version)
        self._take(report, read)
        self.report.geofences = read.content

    @staticmethod
    def _take(report: FileReport, read: static.Read[Any]) -> None:
        report.records = read.records
        report.rejected.extend(read.rejected)
        report.notes.extend(read.notes)


_READERS: dict[str, _Reader] = {
    "system_information": _Pull.read_system,
    "vehicle_types": _Pull.read_types,
    "station_information": _Pull.read_stations,
    "station_status": _Pull.read_station_status,
    "geofencing_zones": _Pull.read_geofences,
}


def _main_file(feed_urls: dict[str, str], registered: str) -> str:
    """The file whose fetch decides the feed's health: the vehicles, else the registered file."""
    for name in discovery.VEHICLE_FILES:
        if name in feed_urls:
            return name
    for name, url in feed_urls.items():
        if url == registered:
            return name
    return "gbfs"
