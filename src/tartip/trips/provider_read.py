"""Reading one page of an MDS Provider answer: its envelope, its records and their problems.

The envelope (``version``, ``links.next``, ``last_updated``, ``ttl``) is decoded with the record
array cut into raw slices, which are then read one by one (``tartip.trips.records.read_all``): a
bad record is rejected with its JSON path, the others are kept. MDS 2.0 puts the array at the top
(``{"trips": [...]}``), 1.2 under ``data`` (``{"data": {"trips": [...]}}``); historical events
are ``events`` in 2.0 and ``status_changes`` in 1.2.

A sample of the records (``schema_sample_records``) is also checked against the official schemas
(``tartip.trips.schema``); those problems are reported, not held against the record.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
import orjson
from msgspec import Raw

from tartip.core.errors import Problem
from tartip.feeds.conformance import sample_indices
from tartip.feeds.enums import MdsEndpoint
from tartip.trips import schema
from tartip.trips.records import READERS_12, READERS_20, read_all

# The record key of each endpoint in MDS 2.0, and the keys accepted in 1.2.
KEYS_20 = {
    MdsEndpoint.trips: "trips",
    MdsEndpoint.events_historical: "events",
    MdsEndpoint.events_recent: "events",
    MdsEndpoint.telemetry: "telemetry",
    MdsEndpoint.vehicles: "vehicles",
    MdsEndpoint.vehicles_status: "vehicles_status",
}
KEYS_12 = {
    MdsEndpoint.trips: ("trips",),
    MdsEndpoint.events_historical: ("status_changes", "events"),
    MdsEndpoint.events_recent: ("status_changes", "events"),
    MdsEndpoint.vehicles: ("vehicles",),
    MdsEndpoint.vehicles_status: ("vehicles",),
}
# Which official 2.0 model the sampled records are checked against.
SCHEMA_KIND = {
    "trips": "trip",
    "events": "event",
    "telemetry": "telemetry",
    "vehicles": "vehicle",
}
# The MDS 1.2 payload schema of each endpoint (recent events are paged: ``events.json``).
SCHEMA_FILE_12 = {
    MdsEndpoint.trips: "trips",
    MdsEndpoint.events_historical: "status_changes",
    MdsEndpoint.events_recent: "events",
    MdsEndpoint.vehicles: "vehicles",
    MdsEndpoint.vehicles_status: "vehicles",
}


class _Links(msgspec.Struct):
    next: str | None = None


class _Data(msgspec.Struct):
    trips: list[Raw] | None = None
    status_changes: list[Raw] | None = None
    events: list[Raw] | None = None
    vehicles: list[Raw] | None = None
    telemetry: list[Raw] | None = None


class _Envelope(msgspec.Struct):
    version: str | None = None
    links: _Links | None = None
    last_updated: float | str | None = None
    ttl: float | str | None = None
    trips: list[Raw] | None = None
    events: list[Raw] | None = None
    telemetry: list[Raw] | None = None
    vehicles: list[Raw] | None = None
    vehicles_status: list[Raw] | None = None
    data: _Data | None = None


_ENVELOPE = msgspec.json.Decoder(_Envelope, strict=False)


@dataclass
class PageRead:
    """What one page gave: records of one kind, where it goes next, and what was wrong."""

    records: list[Any] = field(default_factory=list)
    total: int = 0
    rejected: list[Problem] = field(default_factory=list)
    schema: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    sampled: Problem | None = None
    next_url: str | None = None
    version: str | None = None
    last_updated_ms: float | None = None
    ttl_ms: float | None = None
    # Set when the page as a whole is unusable.
    error: str | None = None


def read_page(body: bytes, *, endpoint: MdsEndpoint, version: str, sample: int | None) -> PageRead:
    """Read one JSON page of ``endpoint`` in MDS ``version``."""
    page = PageRead()
    try:
        envelope = _ENVELOPE.decode(body)
    except msgspec.ValidationError as exc:
        page.error = f"not an MDS {endpoint.value} document: {exc}"
        return page
    except msgspec.DecodeError as exc:
        page.error = f"not JSON: {exc}"
        return page
    page.version = envelope.version
    page.next_url = envelope.links.next if envelope.links is not None else None
    page.last_updated_ms = _number(envelope.last_updated)
    page.ttl_ms = _number(envelope.ttl)
    key, raws = _records_of(envelope, endpoint, version)
    if raws is None:
        page.error = f"no {key!r} array in the answer"
        return page
    major = "1.2" if version.startswith("1.") else "2.0"
    readers = READERS_12 if major == "1.2" else READERS_20
    kind, convert = readers[key if major == "1.2" else _kind_20(endpoint)]
    where = key if major == "2.0" else f"data.{key}"
    page.records, page.rejected = read_all(raws, kind, convert, where=where)
    page.total = len(raws)
    _check_version(page, version)
    _check_schema(page, body, raws, key=key, major=major, sample=sample, endpoint=endpoint)
    return page


def _kind_20(endpoint: MdsEndpoint) -> str:
    key = KEYS_20[endpoint]
    return key


def _records_of(
    envelope: _Envelope, endpoint: MdsEndpoint, version: str
) -> tuple[str, list[Raw] | None]:
    # Be liberal: a 1.2 company that puts its array at the top, or 2.0 under ``data``, is read.
    if version.startswith("1."):
        for key in KEYS_12.get(endpoint, ()):
            found = getattr(envelope.data, key, None) if envelope.data is not None else None
            if found is None:
                found = getattr(envelope, key, None)
            if found is not None:
                return key, found
        return KEYS_12.get(endpoint, ("?",))[0], None
    key = KEYS_20[endpoint]
    found = getattr(envelope, key, None)
    if found is None and envelope.data is not None:
        found = getattr(envelope.data, key, None)
    return key, found


def _number(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _check_version(page: PageRead, asked: str) -> None:
    given = page.version
    if given is None:
        page.notes.append(Problem("version", f"missing; read as MDS {asked}"))
    elif not given.startswith(asked):
        page.notes.append(Problem("version", f"{given!r} answered where {asked} was asked"))


def _check_schema(
    page: PageRead,
    body: bytes,
    raws: list[Raw],
    *,
    key: str,
    major: str,
    sample: int | None,
    endpoint: MdsEndpoint,
) -> None:
    if major == "1.2":
        file = SCHEMA_FILE_12.get(endpoint)
        if file is None:
            return
        doc = orjson.loads(body)
        if isinstance(doc, dict):
            page.schema, page.sampled = schema.sample_problems_12(file, doc, key, sample=sample)
        return
    kind = SCHEMA_KIND.get(key)
    if kind is None:  # vehicles_status: its last event is an event
        items = [msgspec.json.decode(r).get("last_event") for r in _sampled(raws, sample)]
        items = [i for i in items if isinstance(i, dict)]
        page.schema, _ = schema.sample_problems(
            "event", items, where=f"{key}[].last_event", sample=None
        )
        return
    indices = sample_indices(len(raws), sample) if sample is not None else range(len(raws))
    problems: list[Problem] = []
    for index in indices:
        item = msgspec.json.decode(raws[index])
        found, _ = schema.sample_problems(kind, [item], where=f"{key}[{index}]", sample=None)
        problems += [
            Problem(p.where.replace(f"[{index}][0]", f"[{index}]"), p.message) for p in found
        ]
    page.schema = problems
    if sample is not None and len(raws) > sample:
        page.sampled = Problem(key, f"schema checked on {len(indices)} of {len(raws)} records")


def _sampled(raws: list[Raw], sample: int | None) -> list[Raw]:
    if sample is None:
        return raws
    return [raws[i] for i in sample_indices(len(raws), sample)]


# --- reports (CSV) ----------------------------------------------------------------------------

REPORT_COLUMNS = (
    "provider_id",
    "start_date",
    "duration",
    "special_group_type",
    "geography_id",
    "vehicle_type",
    "trip_count",
    "rider_count",
)


@dataclass(frozen=True)
class ReportRow:
    """One row of a monthly MDS report (-1 counts, suppressed by the company, read as None)."""

    start_date: date
    duration: str
    special_group_type: str
    geography_id: str
    vehicle_type: str
    trip_count: int | None
    rider_count: int | None


def read_report(body: bytes) -> tuple[list[ReportRow], list[Problem]]:
    """The rows of a report CSV, and the rows that could not be read."""
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REPORT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [Problem("header", f"missing column(s) {', '.join(missing)}")]
    rows: list[ReportRow] = []
    problems: list[Problem] = []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(
                ReportRow(
                    start_date=date.fromisoformat(raw["start_date"].strip()),
                    duration=raw["duration"].strip()[:16],
                    special_group_type=raw["special_group_type"].strip()[:64],
                    geography_id=(raw["geography_id"] or "").strip()[:36],
                    vehicle_type=raw["vehicle_type"].strip()[:32],
                    trip_count=_count(raw["trip_count"]),
                    rider_count=_count(raw["rider_count"]),
                )
            )
        except (ValueError, AttributeError) as exc:
            problems.append(Problem(f"line {line}", str(exc)))
    return rows, problems


def _count(text: str | None) -> int | None:
    value = int((text or "").strip())
    if value < -1:
        raise ValueError(f"count {value} is negative")
    return None if value == -1 else value
