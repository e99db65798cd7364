"""Storing MDS records, whichever way they came (Provider pull, Agency push): bulk and idempotent.

Each ``store_*`` takes normalised records (``tartip.trips.records``) of one company and writes
what is new with "insert, on conflict do nothing" (``tartip.db.bulk``): a record seen before
is counted as a duplicate and changes nothing.

Events are judged against the MDS state machine as they are stored: the previous state of each
vehicle is the state of its latest event by time (kept on ``MdsVehicle``); an event older than
that (late, or out of order) is judged against the stored events around it. An impossible
transition is stored with ``flagged`` and its reason, never dropped. Flags are decided once, at
ingest, from what was known then.

Trips get their start and end districts here, in one vectorised pass per batch
(``tartip.cities.districts.locator``), so figures by district never touch geometry again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from shapely.geometry import LineString
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities import districts
from tartip.db import bulk
from tartip.trips.models import MdsVehicle, Telemetry, Trip, VehicleEvent
from tartip.trips.records import (
    EventRecord,
    StatusRecord,
    TelemetryRecord,
    TripRecord,
    VehicleRecord,
)
from tartip.trips.statemachine import micromobility

DEFAULT_VEHICLE_TYPE = "scooter_standing"
# From this many devices in a batch on, their rows are found by reading the company's fleet.
WHOLE_FLEET_FROM = 2_000


@dataclass
class Stored:
    """What storing one batch did."""

    received: int = 0
    new: int = 0
    duplicates: int = 0
    flagged: int = 0
    # Per flagged event: (event_id, reason), the first few, for reports.
    flags: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: Stored) -> None:
        """Add another batch's counts to this one."""
        self.received += other.received
        self.new += other.new
        self.duplicates += other.duplicates
        self.flagged += other.flagged
        self.flags += other.flags[: max(0, 20 - len(self.flags))]


# Batches of events spanning at most this long are checked for duplicates by time.
SPAN_BY_TIME_MS = 24 * 3600 * 1000


def moment(ms: int) -> datetime:
    """MDS milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def ms_of(value: datetime) -> int:
    """An aware datetime as MDS milliseconds."""
    return int(round(value.timestamp() * 1000))


@dataclass
class _Known:
    """What is stored about one device, as far as the ingest needs it."""

    id: int
    vehicle_id: str | None
    vehicle_type: str | None
    state: str | None
    state_at_ms: int | None
    registered: bool


class Fleet:
    """A company's stored vehicles as the ingest needs them: read once, then kept current.

    A pull keeps one for all its pages (an hour of a city's trips names most of the fleet: the
    company's vehicles are then read in one pass instead of one IN (…) list per 900); the
    ingest updates it as it creates vehicles and moves their states.
    """

    def __init__(self, db: Session, company_id: int) -> None:
        self.db = db
        self.company_id = company_id
        self._known: dict[str, _Known] = {}
        self._whole = False

    def get(self, device_ids: Iterable[str]) -> dict[str, _Known]:
        """The stored vehicles among ``device_ids``."""
        wanted = set(device_ids)
        missing = [d for d in wanted if d not in self._known]
        if missing and not self._whole:
            if len(missing) > WHOLE_FLEET_FROM:
                self._known.update(self._read(None))
                self._whole = True
            else:
                for chunk in bulk.batches(missing, bulk.LOOKUP_BATCH):
                    self._known.update(self._read(chunk))
        return {d: self._known[d] for d in wanted if d in self._known}

    def reread(self, device_ids: list[str]) -> None:
        """Read these devices again (just created, or changed by a bulk statement)."""
        for chunk in bulk.batches(device_ids, bulk.LOOKUP_BATCH):
            self._known.update(self._read(chunk))

    def _read(self, device_ids: list[str] | None) -> dict[str, _Known]:
        stmt = select(
            MdsVehicle.device_id,
            MdsVehicle.id,
            MdsVehicle.vehicle_id,
            MdsVehicle.vehicle_type,
            MdsVehicle.state,
            MdsVehicle.state_at,
            MdsVehicle.registered_at,
        ).where(MdsVehicle.company_id == self.company_id)
        if device_ids is not None:
            stmt = stmt.where(MdsVehicle.device_id.in_(device_ids))
        return {
            row.device_id: _Known(
                id=row.id,
                vehicle_id=row.vehicle_id,
                vehicle_type=row.vehicle_type,
                state=row.state,
                state_at_ms=ms_of(row.state_at) if row.state_at is not None else None,
                registered=row.registered_at is not None,
            )
            for row in self.db.execute(stmt)
        }


def known_vehicles(db: Session, *, company_id: int, device_ids: Iterable[str]) -> dict[str, _Known]:
    """The company's stored vehicles among ``device_ids``."""
    return Fleet(db, company_id).get(device_ids)


# --- vehicles ---------------------------------------------------------------------------------


def upsert_vehicles(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    vehicles: Sequence[VehicleRecord],
    now: datetime,
    fleet: Fleet | None = None,
) -> Stored:
    """Create or refresh the company's vehicles (Provider ``vehicles``; 1.2 ``vehicles``)."""
    fleet = fleet or Fleet(db, company_id)
    latest = {v.device_id: v for v in vehicles}  # the last mention of a device wins
    known = fleet.get(latest)
    new_rows = [
        _vehicle_row(v, city_id=city_id, company_id=company_id, source=source, now=now)
        for device, v in latest.items()
        if device not in known
    ]
    inserted = bulk.insert_new(db, MdsVehicle.__table__, new_rows)  # type: ignore[arg-type]
    updates = [
        {
            "id": known[device].id,
            "vehicle_id": v.vehicle_id or known[device].vehicle_id,
            "vehicle_type": v.vehicle_type or known[device].vehicle_type,
            "provider_id": v.provider_id,
            "propulsion_types": v.propulsion_types,
            "attributes": v.attributes,
            "updated_at": now,
        }
        for device, v in latest.items()
        if device in known
    ]
    bulk.update_many(db, MdsVehicle.__table__, updates)  # type: ignore[arg-type]
    for device, v in latest.items():
        if device in known:
            known[device].vehicle_id = v.vehicle_id or known[device].vehicle_id
            known[device].vehicle_type = v.vehicle_type or known[device].vehicle_type
    fleet.reread([d for d in latest if d not in known])
    return Stored(received=len(vehicles), new=inserted, duplicates=len(vehicles) - inserted)


def _vehicle_row(
    v: VehicleRecord, *, city_id: int, company_id: int, source: str, now: datetime
) -> dict[str, Any]:
    return {
        "city_id": city_id,
        "company_id": company_id,
        "device_id": v.device_id,
        "vehicle_id": v.vehicle_id,
        "provider_id": v.provider_id,
        "vehicle_type": v.vehicle_type,
        "propulsion_types": v.propulsion_types,
        "attributes": v.attributes,
        "source": source,
        "registered_at": None,
        "updated_at": now,
        "state": None,
        "state_event_types": [],
        "state_at": None,
        "lon": None,
        "lat": None,
        "battery_percent": None,
    }


def _ensure_vehicles(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    seen: dict[str, tuple[str | None, str | None]],
    now: datetime,
    fleet: Fleet,
) -> dict[str, _Known]:
    """The stored vehicles of ``seen`` (device → (vehicle_id, type)), creating the missing ones."""
    known = fleet.get(seen)
    missing = [d for d in seen if d not in known]
    if missing:
        rows = [
            _vehicle_row(
                VehicleRecord(device_id=d, vehicle_id=seen[d][0], vehicle_type=seen[d][1]),
                city_id=city_id,
                company_id=company_id,
                source=source,
                now=now,
            )
            for d in missing
        ]
        bulk.insert_new(db, MdsVehicle.__table__, rows)  # type: ignore[arg-type]
        fleet.reread(missing)
        known.update(fleet.get(missing))
    return known


# --- trips ------------------------------------------------------------------------------------


def store_trips(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    trips: Sequence[TripRecord],
    now: datetime,
    fleet: Fleet | None = None,
) -> Stored:
    """Store the company's trips that are new, with their districts and route."""
    unique = list({t.trip_id: t for t in trips}.values())
    if not unique:
        return Stored(received=len(trips), duplicates=len(trips))
    seen = {t.device_id: (t.vehicle_id, t.vehicle_type) for t in unique}
    known = _ensure_vehicles(
        db,
        city_id=city_id,
        company_id=company_id,
        source=source,
        seen=seen,
        now=now,
        fleet=fleet or Fleet(db, company_id),
    )
    locate = districts.locator(db, city_id).locate
    starts = locate([t.start_lon for t in unique], [t.start_lat for t in unique])
    ends = locate([t.end_lon for t in unique], [t.end_lat for t in unique])
    rows = []
    for trip, start_district, end_district in zip(unique, starts, ends, strict=True):
        vehicle = known.get(trip.device_id)
        rows.append(
            {
                "city_id": city_id,
                "company_id": company_id,
                "trip_id": trip.trip_id,
                "device_id": trip.device_id,
                "vehicle_id": trip.vehicle_id or (vehicle.vehicle_id if vehicle else None),
                "vehicle_type": (
                    trip.vehicle_type
                    or (vehicle.vehicle_type if vehicle else None)
                    or DEFAULT_VEHICLE_TYPE
                ),
                "source": source,
                "start_time": moment(trip.start_ms),
                "end_time": moment(trip.end_ms),
                "duration_s": trip.duration_s,
                "distance_m": trip.distance_m,
                "start_lon": trip.start_lon,
                "start_lat": trip.start_lat,
                "end_lon": trip.end_lon,
                "end_lat": trip.end_lat,
                "start_district": start_district,
                "end_district": end_district,
                "route": _route(trip.route),
                "received_at": now,
                "anonymised_at": None,
            }
        )
    inserted = bulk.insert_new(db, Trip.__table__, rows)  # type: ignore[arg-type]
    return Stored(received=len(trips), new=inserted, duplicates=len(trips) - inserted)


def _route(points: list[tuple[float, float]] | None) -> LineString | None:
    if not points:
        return None
    distinct = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return LineString(distinct) if len(distinct) >= 2 else None


# --- telemetry --------------------------------------------------------------------------------


def store_telemetry(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    points: Sequence[TelemetryRecord],
    now: datetime,
) -> Stored:
    """Store the company's telemetry points that are new."""
    rows = [
        {
            "city_id": city_id,
            "company_id": company_id,
            "device_id": p.device_id,
            "telemetry_id": p.telemetry_id,
            "timestamp": moment(p.timestamp_ms),
            "lon": p.lon,
            "lat": p.lat,
            "trip_ids": p.trip_ids,
            "speed": p.speed,
            "battery_percent": p.battery_percent,
            "source": source,
            "received_at": now,
        }
        for p in {p.telemetry_id: p for p in points}.values()
    ]
    inserted = bulk.insert_new(db, Telemetry.__table__, rows)  # type: ignore[arg-type]
    return Stored(received=len(points), new=inserted, duplicates=len(points) - inserted)


# --- events -----------------------------------------------------------------------------------


def store_events(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    events: Sequence[EventRecord],
    now: datetime,
    fleet: Fleet | None = None,
) -> Stored:
    """Store the company's new events, each judged against the state machine; move the states."""
    fresh = _new_events(db, city_id=city_id, company_id=company_id, events=events)
    result = Stored(received=len(events), duplicates=len(events) - len(fresh))
    if not fresh:
        return result
    seen = {e.device_id: (e.vehicle_id, e.vehicle_type) for e in fresh}
    known = _ensure_vehicles(
        db,
        city_id=city_id,
        company_id=company_id,
        source=source,
        seen=seen,
        now=now,
        fleet=fleet or Fleet(db, company_id),
    )
    rows: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for device, group in groupby(fresh, key=lambda e: e.device_id):
        ordered = list(group)
        vehicle = known[device]
        judged, last = _judge(db, company_id=company_id, vehicle=vehicle, events=ordered)
        for event, previous, reason in judged:
            rows.append(_event_row(event, previous, reason, vehicle, city_id, company_id))
            if reason is not None:
                result.flagged += 1
                if len(result.flags) < 20:
                    result.flags.append((event.event_id, reason))
            rows[-1]["source"], rows[-1]["received_at"] = source, now
        if last is not None:
            moves.append(_move(vehicle, last))
    result.new = bulk.insert_new(db, VehicleEvent.__table__, rows)  # type: ignore[arg-type]
    result.duplicates = result.received - result.new
    bulk.update_many(db, MdsVehicle.__table__, moves)  # type: ignore[arg-type]
    return result


def _new_events(
    db: Session, *, city_id: int, company_id: int, events: Sequence[EventRecord]
) -> list[EventRecord]:
    """The events not seen before, by id and by (device, time, types), in device and time order."""
    by_id: dict[str, EventRecord] = {}
    keys: set[tuple[str, int, str]] = set()
    for event in sorted(events, key=lambda e: (e.device_id, e.timestamp_ms)):
        key = (event.device_id, event.timestamp_ms, event.types_key)
        if event.event_id in by_id or key in keys:
            continue
        by_id[event.event_id] = event
        keys.add(key)
    stored = _stored_event_ids(
        db, city_id=city_id, company_id=company_id, events=list(by_id.values())
    )
    return [e for e in by_id.values() if e.event_id not in stored]


def _stored_event_ids(
    db: Session, *, city_id: int, company_id: int, events: list[EventRecord]
) -> set[str]:
    """Which of the events' ids the company already has.

    A batch is usually an hour or a few minutes of events: asking for the company's events in
    that time span uses the time index once, where the ids alone would need an IN (…) list per
    900 ids. A batch spread over more than a day (a backlog) is asked by id.
    """
    if not events:
        return set()
    first = min(e.timestamp_ms for e in events)
    last = max(e.timestamp_ms for e in events)
    if last - first > SPAN_BY_TIME_MS:
        table = VehicleEvent.__table__
        ids = [e.event_id for e in events]
        return bulk.existing(db, table, company_id=company_id, column="event_id", values=ids)  # type: ignore[arg-type]
    stmt = select(VehicleEvent.event_id).where(
        VehicleEvent.city_id == city_id,  # the (city_id, timestamp) index
        VehicleEvent.company_id == company_id,
        VehicleEvent.timestamp >= moment(first),
        VehicleEvent.timestamp <= moment(last),
    )
    wanted = {e.event_id for e in events}
    return {event_id for event_id in db.scalars(stmt) if event_id in wanted}


def _judge(
    db: Session, *, company_id: int, vehicle: _Known, events: list[EventRecord]
) -> tuple[list[tuple[EventRecord, str | None, str | None]], EventRecord | None]:
    """Each event with the state before it and why it is impossible (None: it is possible).

    Also returns the event that becomes the vehicle's state (None: none is newer than the stored).
    """
    machine = micromobility()
    stored_at = vehicle.state_at_ms
    timeline: list[tuple[int, str]] = []
    if stored_at is not None and events[0].timestamp_ms < stored_at:
        # Late events: judge them against the stored events around them.
        timeline = _stored_timeline(
            db, company_id=company_id, device_id=events[0].device_id, since=events[0].timestamp_ms
        )
    judged: list[tuple[EventRecord, str | None, str | None]] = []
    state, state_at = vehicle.state, stored_at
    newest: EventRecord | None = None
    for event in events:
        if state_at is not None and event.timestamp_ms < state_at:
            previous = _state_before(timeline, judged, event.timestamp_ms)
        else:
            previous = state
        reason = machine.check(previous, event.event_types, event.vehicle_state)
        judged.append((event, previous, reason))
        if state_at is None or event.timestamp_ms >= state_at:
            state, state_at, newest = event.vehicle_state, event.timestamp_ms, event
    return judged, newest


def _stored_timeline(
    db: Session, *, company_id: int, device_id: str, since: int
) -> list[tuple[int, str]]:
    """(time, state) of the device's stored events from the last one before ``since`` on."""
    table = VehicleEvent
    where = (table.company_id == company_id, table.device_id == device_id)
    before = db.execute(
        select(table.timestamp, table.vehicle_state)
        .where(*where, table.timestamp < moment(since))
        .order_by(table.timestamp.desc())
        .limit(1)
    ).first()
    after = db.execute(
        select(table.timestamp, table.vehicle_state)
        .where(*where, table.timestamp >= moment(since))
        .order_by(table.timestamp)
    ).all()
    rows = ([before] if before is not None else []) + list(after)
    return [(ms_of(row[0]), row[1]) for row in rows]


def _state_before(
    timeline: list[tuple[int, str]],
    judged: list[tuple[EventRecord, str | None, str | None]],
    at: int,
) -> str | None:
    """The state of the latest stored or just-judged event strictly before ``at``."""
    best: tuple[int, str] | None = None
    for when, state in timeline:
        if when < at and (best is None or when >= best[0]):
            best = (when, state)
    for event, _previous, _reason in judged:
        if event.timestamp_ms < at and (best is None or event.timestamp_ms >= best[0]):
            best = (event.timestamp_ms, event.vehicle_state)
    return best[1] if best is not None else None


def _event_row(
    event: EventRecord,
    previous: str | None,
    reason: str | None,
    vehicle: _Known,
    city_id: int,
    company_id: int,
) -> dict[str, Any]:
    return {
        "city_id": city_id,
        "company_id": company_id,
        "device_id": event.device_id,
        "vehicle_id": event.vehicle_id or vehicle.vehicle_id,
        "event_id": event.event_id,
        "event_types": event.event_types,
        "event_types_key": event.types_key,
        "vehicle_state": event.vehicle_state,
        "previous_state": previous,
        "timestamp": moment(event.timestamp_ms),
        "publication_time": (
            moment(event.publication_ms) if event.publication_ms is not None else None
        ),
        "lon": event.lon,
        "lat": event.lat,
        "trip_ids": event.trip_ids,
        "battery_percent": event.battery_percent,
        "flagged": reason is not None,
        "flag_reason": reason,
    }


def _move(vehicle: _Known, event: EventRecord) -> dict[str, Any]:
    vehicle.state, vehicle.state_at_ms = event.vehicle_state, event.timestamp_ms
    return {
        "id": vehicle.id,
        "state": event.vehicle_state,
        "state_event_types": event.event_types,
        "state_at": moment(event.timestamp_ms),
        "lon": event.lon,
        "lat": event.lat,
        "battery_percent": event.battery_percent,
    }


def apply_statuses(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    source: str,
    statuses: Sequence[StatusRecord],
    now: datetime,
    fleet: Fleet | None = None,
) -> Stored:
    """Store vehicle statuses: 1.2 vehicle properties, and each last event as an event."""
    fleet = fleet or Fleet(db, company_id)
    vehicles = [s.vehicle for s in statuses if s.vehicle is not None]
    common: dict[str, Any] = {
        "city_id": city_id, "company_id": company_id, "source": source, "now": now, "fleet": fleet
    }  # fmt: skip
    if vehicles:
        upsert_vehicles(db, vehicles=vehicles, **common)
    events = [s.last_event for s in statuses if s.last_event is not None]
    stored = store_events(db, events=events, **common)
    stored.received = len(statuses)
    return stored
