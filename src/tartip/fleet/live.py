"""The live picture of one feed's vehicles: applying a snapshot, remembering the last state.

A *snapshot* is every vehicle one poll of a company's feed showed. ``apply_snapshot`` compares it
with the last state of that feed's vehicles and writes only what changed:

- an id never seen → a ``Vehicle`` row and a ``VehicleChange(appeared)``; an id whose row had left
  the feed (``in_feed=False``) → that row again and ``returned``;
- a vehicle more than ``MOVE_THRESHOLD_M`` from its stored position → ``moved``; another status →
  ``status_changed``; either rewrites the row at once;
- an id missing from the snapshot → ``in_feed=False`` and ``left_feed`` (the row is kept, so a
  return is recognised, until ``purge_departed`` removes it);
- anything else (range, battery, GPS jitter, ``last_reported``) is written only when the row is due
  for a refresh, at most every ``refresh_s`` (decision record 0007).

The last state lives in memory (``LiveState``, one ``FeedLive`` per feed), mirrors the rows exactly
and is loaded from the database on first use, so a restarted worker diffs against what is stored
and reports no spurious changes. Writes are bulk statements, never ORM objects: executemany on
SQLite, one statement per batch on PostgreSQL (``tartip.db.bulk``).
"""

from __future__ import annotations

import logging
import math
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
from sqlalchemy import (
    CursorResult,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from tartip.core.geo import METRES_PER_DEGREE
from tartip.db import bulk
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle, VehicleChange

log = logging.getLogger(__name__)

# GPS of a parked scooter wanders by 5–10 m (more between tall buildings); 15 m is well above that
# and below the width of a pavement-to-roadway move, which is what putting in order cares about.
MOVE_THRESHOLD_M = 15.0
STATE_KEY = "fleet.live"
# Up to this many new rows, their ids are looked up by name through the unique index.
_ID_LOOKUP_MAX = 500
# Plain strings for the statements: reading ``.value`` of an enum member is slow in a hot loop.
_STATUS: dict[str, str] = {status: status.value for status in VehicleStatus}
_KIND = {kind: kind.value for kind in ChangeKind}
_APPEARED, _RETURNED, _MOVED = ChangeKind.appeared, ChangeKind.returned, ChangeKind.moved
_STATUS_CHANGED, _LEFT = ChangeKind.status_changed, ChangeKind.left_feed

_VEHICLE = cast(Table, Vehicle.__table__)
_CHANGE = cast(Table, VehicleChange.__table__)


class VehicleObservation(msgspec.Struct, gc=False):
    """One vehicle as one snapshot of its company's feed shows it (already checked and normalised).

    ``last_reported`` is POSIX seconds (the company's clock), kept as a number because most
    snapshots never write it; ``last_reported_at`` gives the datetime.
    """

    vehicle_id: str
    lon: float
    lat: float
    status: VehicleStatus
    vehicle_type_id: str | None = None
    current_range_meters: float | None = None
    current_fuel_percent: float | None = None
    station_id: str | None = None
    last_reported: float | None = None

    @property
    def last_reported_at(self) -> datetime | None:
        """``last_reported`` as an aware UTC datetime."""
        return _dt(self.last_reported)


@dataclass(slots=True)
class _Known:
    """A vehicle row as stored (the in-memory mirror of one ``vehicle`` row)."""

    row_id: int
    lon: float
    lat: float
    status: str
    vehicle_type_id: str | None
    station_id: str | None
    seen_at: float  # last_seen_at as stored, POSIX seconds
    refresh_due: float
    # Metres per degree of longitude here, kept so the diff needs no trigonometry per vehicle.
    x_scale: float = 0.0

    def __post_init__(self) -> None:
        self.x_scale = _x_scale(self.lat)


@dataclass
class FeedLive:
    """The stored state of one feed's vehicles: those in the feed and those that left it."""

    feed_id: int
    city_id: int
    company_id: int
    present: dict[str, _Known] = field(default_factory=dict)
    departed: dict[str, _Known] = field(default_factory=dict)
    # The time of the last snapshot applied (None after a restart until the next one).
    last_at: float | None = None


class LiveState:
    """Every feed's last vehicle state, kept across polls in ``JobContext.state``."""

    def __init__(self) -> None:
        self._feeds: dict[int, FeedLive] = {}

    def feed(
        self, db: Session, *, feed_id: int, city_id: int, company_id: int, refresh_s: float
    ) -> FeedLive:
        """The state of ``feed_id``, loaded from the database the first time it is asked for."""
        live = self._feeds.get(feed_id)
        if live is None:
            live = _load(
                db, feed_id=feed_id, city_id=city_id, company_id=company_id, refresh_s=refresh_s
            )
            self._feeds[feed_id] = live
        return live

    def forget(self, feed_id: int | None = None) -> None:
        """Drop one feed's state (or all): it is reloaded from the database when next needed.

        Call it whenever the database may no longer match memory, e.g. after a rollback.
        """
        if feed_id is None:
            self._feeds.clear()
        else:
            self._feeds.pop(feed_id, None)

    def loaded(self) -> list[FeedLive]:
        """The feeds whose state is in memory."""
        return list(self._feeds.values())


def live_state(state: dict[str, Any]) -> LiveState:
    """The ``LiveState`` kept in a job context's ``state`` dict (created on first use)."""
    found = state.get(STATE_KEY)
    if not isinstance(found, LiveState):
        found = LiveState()
        state[STATE_KEY] = found
    return found


@dataclass
class SnapshotResult:
    """What one snapshot changed, and how many rows it wrote."""

    appeared: int = 0
    returned: int = 0
    moved: int = 0
    status_changed: int = 0
    left_feed: int = 0
    inserted: int = 0
    rewritten: int = 0

    @property
    def changes(self) -> int:
        """``VehicleChange`` rows written."""
        return self.appeared + self.returned + self.moved + self.status_changed + self.left_feed


@dataclass
class SnapshotPlan:
    """The writes one snapshot needs, computed before anything is written."""

    inserts: list[VehicleObservation] = field(default_factory=list)
    rewrites: list[tuple[_Known, VehicleObservation]] = field(default_factory=list)
    returns: list[tuple[_Known, VehicleObservation]] = field(default_factory=list)
    leaves: list[tuple[str, _Known]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)


def apply_snapshot(
    db: Session,
    *,
    state: LiveState,
    feed_id: int,
    city_id: int,
    company_id: int,
    observations: list[VehicleObservation],
    at: datetime,
    refresh_s: float,
    stale: bool = False,
    move_threshold_m: float = MOVE_THRESHOLD_M,
) -> SnapshotResult:
    """Apply one poll's snapshot (unique vehicle ids) to the stored live state of ``feed_id``.

    ``stale`` is written into every row this snapshot writes (the feed's data is too old).
    Memory is updated only after every statement succeeded; if one fails, the feed's state is
    forgotten so that it is reloaded from what the database really holds.
    """
    live = state.feed(
        db, feed_id=feed_id, city_id=city_id, company_id=company_id, refresh_s=refresh_s
    )
    now = at.timestamp()
    result = SnapshotResult()
    plan = plan_snapshot(live, observations, at=at, moved_m=move_threshold_m)
    _count(plan, result)
    try:
        new_ids = _write(db, live, plan, at=at, stale=stale)
    except Exception:
        state.forget(feed_id)
        raise
    remember_plan(live, plan, new_ids, now=now, refresh_s=refresh_s)
    result.inserted = len(plan.inserts)
    result.rewritten = len(plan.rewrites) + len(plan.returns)
    return result


def plan_snapshot(
    live: FeedLive,
    observations: list[VehicleObservation],
    *,
    at: datetime,
    moved_m: float = MOVE_THRESHOLD_M,
) -> SnapshotPlan:
    """The writes a snapshot needs against ``live``: the pure part of ``apply_snapshot``."""
    plan = SnapshotPlan()
    now = at.timestamp()
    present = live.present
    find = present.get
    threshold_sq = moved_m * moved_m
    for obs in observations:
        known = find(obs.vehicle_id)
        if known is None:
            _plan_new(live, plan, obs, at)
            continue
        dy = (obs.lat - known.lat) * METRES_PER_DEGREE
        dx = (obs.lon - known.lon) * known.x_scale
        dist_sq = dx * dx + dy * dy
        if dist_sq <= threshold_sq and obs.status == known.status:
            # Nothing material: rewritten only when due, or when its type or station changed.
            if (
                now >= known.refresh_due
                or obs.vehicle_type_id != known.vehicle_type_id
                or obs.station_id != known.station_id
            ):
                plan.rewrites.append((known, obs))
            continue
        if dist_sq > threshold_sq:
            moved = round(math.sqrt(dist_sq), 1)
            plan.changes.append(_change(live, _MOVED, at, obs, obs.vehicle_id, moved_m=moved))
        if obs.status != known.status:
            previous = known.status
            plan.changes.append(
                _change(live, _STATUS_CHANGED, at, obs, obs.vehicle_id, previous=previous)
            )
        plan.rewrites.append((known, obs))
    if len(present) > len(observations) - len(plan.inserts) - len(plan.returns):
        seen = {obs.vehicle_id for obs in observations}
        plan.leaves.extend((v, known) for v, known in present.items() if v not in seen)
    return plan


def _plan_new(live: FeedLive, plan: SnapshotPlan, obs: VehicleObservation, at: datetime) -> None:
    gone = live.departed.get(obs.vehicle_id)
    if gone is None:
        plan.inserts.append(obs)
        plan.changes.append(_change(live, _APPEARED, at, obs, obs.vehicle_id))
    else:
        plan.returns.append((gone, obs))
        plan.changes.append(_change(live, _RETURNED, at, obs, obs.vehicle_id))


def _change(
    live: FeedLive,
    kind: ChangeKind,
    at: datetime,
    place: VehicleObservation | _Known,
    vehicle_id: str,
    *,
    moved_m: float | None = None,
    previous: str | None = None,
) -> dict[str, Any]:
    return {
        "city_id": live.city_id,
        "company_id": live.company_id,
        "feed_id": live.feed_id,
        "vehicle_id": vehicle_id,
        "kind": _KIND[kind],
        "at": at,
        "lon": place.lon,
        "lat": place.lat,
        "status": _STATUS.get(place.status, place.status),  # an enum member or a stored str
        "previous_status": previous,
        "moved_m": moved_m,
    }


def _count(plan: SnapshotPlan, result: SnapshotResult) -> None:
    kinds = Counter(change["kind"] for change in plan.changes)
    result.appeared, result.returned = kinds[_APPEARED.value], kinds[_RETURNED.value]
    result.moved, result.status_changed = kinds[_MOVED.value], kinds[_STATUS_CHANGED.value]
    result.left_feed = len(plan.leaves)


def _write(
    db: Session, live: FeedLive, plan: SnapshotPlan, *, at: datetime, stale: bool
) -> list[int]:
    """Run the plan's statements; returns the new rows' ids in ``plan.inserts`` order."""
    new_ids: list[int] = []
    if plan.inserts:
        rows = [_insert_row(live, obs, at=at, stale=stale) for obs in plan.inserts]
        returned = bulk.insert_many(db, _VEHICLE, rows, returning=("vehicle_id", "id"))
        if bulk.returns_rows(db):
            by_name = {row.vehicle_id: row.id for row in returned}
            new_ids = [by_name[obs.vehicle_id] for obs in plan.inserts]
        else:
            new_ids = _new_row_ids(db, live.feed_id, at, plan.inserts)
    rewrites = plan.rewrites + plan.returns
    if rewrites:
        rows = [_update_row(known.row_id, obs, at=at, stale=stale) for known, obs in rewrites]
        bulk.update_many(db, _VEHICLE, rows)
    if plan.leaves:
        last_at = live.last_at
        rows = [
            {
                "id": k.row_id,
                "in_feed": False,
                "last_seen_at": _dt(max(k.seen_at, last_at or k.seen_at)),
            }
            for _vid, k in plan.leaves
        ]
        bulk.update_many(db, _VEHICLE, rows)
        plan.changes.extend(_change(live, _LEFT, at, k, vid) for vid, k in plan.leaves)
    if plan.changes:
        bulk.insert_many(db, _CHANGE, plan.changes)
    return new_ids


def _new_row_ids(
    db: Session, feed_id: int, at: datetime, inserted: list[VehicleObservation]
) -> list[int]:
    # A plain executemany is pipelined by psycopg and native in sqlite3; INSERT … RETURNING
    # over many rows is not (psycopg re-parses each huge statement, SQLite goes row by row).
    cols = _VEHICLE.c
    stmt = select(cols.vehicle_id, cols.id).where(cols.feed_id == feed_id)
    if len(inserted) <= _ID_LOOKUP_MAX:
        stmt = stmt.where(cols.vehicle_id.in_([obs.vehicle_id for obs in inserted]))
    else:
        # Rows of this feed first seen at this poll are exactly the ones just inserted.
        stmt = stmt.where(cols.first_seen_at == at)
    by_name = {row.vehicle_id: row.id for row in db.execute(stmt)}
    return [by_name[obs.vehicle_id] for obs in inserted]


def _values(obs: VehicleObservation, *, at: datetime, stale: bool) -> dict[str, Any]:
    return {
        "lon": obs.lon,
        "lat": obs.lat,
        "status": _STATUS[obs.status],
        "vehicle_type_id": obs.vehicle_type_id,
        "current_range_meters": obs.current_range_meters,
        "current_fuel_percent": obs.current_fuel_percent,
        "station_id": obs.station_id,
        "last_reported": _dt(obs.last_reported),
        "last_seen_at": at,
        "in_feed": True,
        "is_stale": stale,
    }


def _update_row(
    row_id: int, obs: VehicleObservation, *, at: datetime, stale: bool
) -> dict[str, Any]:
    row = _values(obs, at=at, stale=stale)
    row["id"] = row_id
    return row


def _insert_row(
    live: FeedLive, obs: VehicleObservation, *, at: datetime, stale: bool
) -> dict[str, Any]:
    row = _values(obs, at=at, stale=stale)
    row.update(
        city_id=live.city_id,
        company_id=live.company_id,
        feed_id=live.feed_id,
        vehicle_id=obs.vehicle_id,
        first_seen_at=at,
    )
    return row


def remember_plan(
    live: FeedLive, plan: SnapshotPlan, new_ids: list[int], *, now: float, refresh_s: float
) -> None:
    """Update ``live`` after the plan's statements succeeded (``new_ids`` of its inserts)."""
    for obs, row_id in zip(plan.inserts, new_ids, strict=True):
        live.present[obs.vehicle_id] = _known(row_id, obs, now=now, refresh_s=refresh_s)
    for known, obs in plan.rewrites:
        _refresh(known, obs, now=now, refresh_s=refresh_s)
    for known, obs in plan.returns:
        _refresh(known, obs, now=now, refresh_s=refresh_s)
        del live.departed[obs.vehicle_id]
        live.present[obs.vehicle_id] = known
    for vehicle_id, known in plan.leaves:
        known.seen_at = max(known.seen_at, live.last_at or known.seen_at)
        del live.present[vehicle_id]
        live.departed[vehicle_id] = known
    live.last_at = now


def _spread(vehicle_id: str) -> float:
    # Rows are refreshed after 0.5–1 × refresh_s, spread by id, so 30,000 rows that appeared
    # in one poll are not all rewritten again in one later poll.
    return 0.5 + 0.5 * (zlib.crc32(vehicle_id.encode()) & 0xFFFF) / 65536


def _known(row_id: int, obs: VehicleObservation, *, now: float, refresh_s: float) -> _Known:
    return _Known(
        row_id=row_id,
        lon=obs.lon,
        lat=obs.lat,
        status=_STATUS[obs.status],
        vehicle_type_id=obs.vehicle_type_id,
        station_id=obs.station_id,
        seen_at=now,
        refresh_due=now + refresh_s * _spread(obs.vehicle_id),
    )


def _refresh(known: _Known, obs: VehicleObservation, *, now: float, refresh_s: float) -> None:
    known.lon = obs.lon
    if known.lat != obs.lat:
        known.lat = obs.lat
        known.x_scale = _x_scale(obs.lat)
    known.status = _STATUS[obs.status]
    known.vehicle_type_id = obs.vehicle_type_id
    known.station_id = obs.station_id
    known.seen_at = now
    known.refresh_due = now + refresh_s * _spread(obs.vehicle_id)


def _load(
    db: Session, *, feed_id: int, city_id: int, company_id: int, refresh_s: float
) -> FeedLive:
    """Read one feed's rows into memory (the first poll after a start)."""
    live = FeedLive(feed_id=feed_id, city_id=city_id, company_id=company_id)
    cols = _VEHICLE.c
    stmt = select(
        cols.id,
        cols.vehicle_id,
        cols.lon,
        cols.lat,
        cols.status,
        cols.vehicle_type_id,
        cols.station_id,
        cols.last_seen_at,
        cols.in_feed,
    ).where(cols.feed_id == feed_id)
    # The refresh clock restarts from the stored last_seen_at, so nothing is rewritten early.
    for row in db.execute(stmt):
        seen = row.last_seen_at.timestamp()
        known = _Known(
            row_id=row.id,
            lon=row.lon,
            lat=row.lat,
            status=row.status,
            vehicle_type_id=row.vehicle_type_id,
            station_id=row.station_id,
            seen_at=seen,
            refresh_due=seen + refresh_s * _spread(row.vehicle_id),
        )
        (live.present if row.in_feed else live.departed)[row.vehicle_id] = known
    log.info(
        "live state of feed %s loaded: %d in feed, %d departed",
        feed_id,
        len(live.present),
        len(live.departed),
    )
    return live


def mark_feed_stale(db: Session, *, feed_id: int, stale: bool) -> int:
    """Flag (or unflag) every in-feed vehicle of a feed as stale: one UPDATE; returns rows."""
    cols = _VEHICLE.c
    stmt = (
        update(_VEHICLE)
        .where(cols.feed_id == feed_id, cols.is_stale.is_not(stale))
        .values(is_stale=stale)
    )
    if stale:
        stmt = stmt.where(cols.in_feed.is_(True))
    return _rowcount(db.execute(stmt))


def purge_departed(db: Session, *, state: LiveState, city_id: int, before: datetime) -> int:
    """Delete rows of vehicles that left their feed before ``before``; returns how many."""
    cols = _VEHICLE.c
    stmt = delete(_VEHICLE).where(
        cols.city_id == city_id, cols.in_feed.is_(False), cols.last_seen_at < before
    )
    removed = _rowcount(db.execute(stmt))
    cutoff = before.timestamp()
    for live in state.loaded():
        if live.city_id != city_id:
            continue
        for vehicle_id in [v for v, k in live.departed.items() if k.seen_at < cutoff]:
            del live.departed[vehicle_id]
    return removed


def _x_scale(lat: float) -> float:
    return METRES_PER_DEGREE * math.cos(math.radians(lat))


def _dt(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _rowcount(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount)
