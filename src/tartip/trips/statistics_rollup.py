"""The trip rollups: whole local days of trips aggregated into the tables figures are read from.

``rebuild_day`` recomputes one local day of one city from ``trip``: one read of the day's trips
as plain numbers (the local hour is a CASE over the hours' UTC starts, computed by the database),
every aggregate in NumPy (zones with Shapely), then the day's rollup rows are replaced. One read
beats one GROUP BY per rollup table: reading the day's 100,000 rows is the cost, measured on both
databases. It is idempotent: run it twice, or after a re-pulled hour, and the rollup still equals
a fresh count.

``roll_up`` (the ``trips.rollup`` job) finds the days that received trips since its watermark
(``Trip.received_at``), adds them to the city's pending days and rebuilds at most
``DAYS_PER_RUN`` of them, newest first, so a backlog (a first run over months of trips) is worked
off in bounded runs that never hold SQLite's write lock for long. The watermark trails the clock
by ``SETTLE``: an ingest transaction that stamped ``received_at`` but commits a little later is
still seen by the next run. It must exceed the longest ingest transaction; the cost is that the
last few minutes' days are rebuilt once more.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import (
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tartip.cities import districts
from tartip.cities.models import City
from tartip.core.clock import from_timestamp, utcnow
from tartip.trips.models import Trip
from tartip.trips.statistics_models import (
    OUTSIDE,
    TripCellRollup,
    TripMeasureRollup,
    TripRollup,
    TripRollupState,
    TripZoneRollup,
)
from tartip.zones import service as zones_service
from tartip.zones.models import ZoneVersion

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=10)
DAYS_PER_RUN = 7
# Histogram bins for medians and p90: 30 s of duration, 100 m of distance; the last bin holds
# everything longer (4 h, 50 km), which no percentile of real scooter trips reaches.
DURATION_BIN_S = 30
DURATION_BINS = 480
DISTANCE_BIN_M = 100
DISTANCE_BINS = 500
# The heat-map grid, fixed and global: about 280 m × 285 m at Almaty's latitude. Changing it
# needs a rebuild of every day (``rebuild``).
CELL_LAT = 0.0025
CELL_LON = 0.0035
ROLLUP_TABLES = (TripRollup, TripMeasureRollup, TripZoneRollup, TripCellRollup)


@dataclass(frozen=True)
class RollupResult:
    """What a run of the rollup did: the local days rebuilt and the trips they hold."""

    days: list[date]
    trips: int


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the local ``day`` starts and the next day starts."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return start, end


def local_dates(epochs: np.ndarray, timezone: str) -> set[date]:
    """The distinct local dates of POSIX instants.

    Offsets and their changes fall on quarter hours, so each quarter hour is converted once
    rather than every instant (a month's 3 million trips span under 3,000 quarter hours).
    """
    tz = ZoneInfo(timezone)
    quarters = np.unique(np.floor_divide(epochs, 900).astype(np.int64))
    return {from_timestamp(float(q) * 900).astimezone(tz).date() for q in quarters.tolist()}


def hour_starts(start: datetime, end: datetime, timezone: str) -> list[tuple[datetime, int]]:
    """Where each local hour of the local day [start, end) begins (UTC), with that hour (0–23).

    A day with a clock change has 23 or 25 of them; offsets and their changes fall on quarter
    hours, so scanning quarter hours finds every start.
    """
    tz = ZoneInfo(timezone)
    found: list[tuple[datetime, int]] = []
    moment = start
    while moment < end:
        hour = moment.astimezone(tz).hour
        if not found or found[-1][1] != hour:
            found.append((moment, hour))
        moment += timedelta(minutes=15)
    return found


def _hour_of(start: datetime, end: datetime, timezone: str) -> ColumnElement[int]:
    """The local hour of ``Trip.start_time`` as portable SQL: a CASE over the hours' UTC starts."""
    starts = hour_starts(start, end, timezone)
    whens = [(Trip.start_time < nxt, hour) for (_, hour), (nxt, _) in pairwise(starts)]
    return case(*whens, else_=starts[-1][1]) if whens else literal(starts[-1][1])


@dataclass(frozen=True)
class _DayTrips:
    """One local day's trips as columns (NumPy arrays, one element per trip)."""

    company: np.ndarray
    hour: np.ndarray  # local hour 0–23
    duration: np.ndarray
    distance: np.ndarray
    start_lon: np.ndarray
    start_lat: np.ndarray
    end_lon: np.ndarray
    end_lat: np.ndarray
    start_district: np.ndarray  # district id, OUTSIDE for none
    end_district: np.ndarray
    start: np.ndarray | None  # POSIX seconds, read only when a zone needs them

    @property
    def size(self) -> int:
        """How many trips."""
        return int(self.company.shape[0])


def _load_day(
    db: Session, *, city_id: int, in_day: list[Any], hour: Any, with_times: bool
) -> _DayTrips:
    """The day's trips in one read, with unknown districts located now.

    Core rows of plain numbers (the local hour is computed by the database): converting 100,000
    timestamps costs more than the rest of the read, so start times come only ``with_times``.
    """
    columns = [
        Trip.company_id,
        hour,
        Trip.duration_s,
        Trip.distance_m,
        Trip.start_lon,
        Trip.start_lat,
        Trip.end_lon,
        Trip.end_lat,
        Trip.start_district,
        Trip.end_district,
    ]
    if with_times:
        columns.append(Trip.start_time)
    rows = db.connection().execute(select(*columns).where(*in_day)).all()
    n = len(rows)
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if n else [()] * len(columns)

    def ints(i: int) -> np.ndarray:
        return np.fromiter((-1 if v is None else v for v in cols[i]), dtype=np.int64, count=n)

    def floats(i: int) -> np.ndarray:
        return np.fromiter(cols[i], dtype=np.float64, count=n)

    trips = _DayTrips(
        company=ints(0),
        hour=ints(1),
        duration=np.maximum(ints(2), 0),
        distance=np.maximum(ints(3), 0),
        start_lon=floats(4),
        start_lat=floats(5),
        end_lon=floats(6),
        end_lat=floats(7),
        start_district=ints(8),
        end_district=ints(9),
        start=(
            np.fromiter((t.timestamp() for t in cols[10]), dtype=np.float64, count=n)
            if with_times
            else None
        ),
    )
    _locate_missing(db, city_id=city_id, trips=trips)
    return trips


def _locate_missing(db: Session, *, city_id: int, trips: _DayTrips) -> None:
    """Find the districts the ingest left empty (trips stored before the districts were)."""
    pairs = (
        (trips.start_district, trips.start_lon, trips.start_lat),
        (trips.end_district, trips.end_lon, trips.end_lat),
    )
    if not any((column < 0).any() for column, _, _ in pairs):
        return
    locator = districts.locator(db, city_id)
    ids = np.array([*locator.ids, OUTSIDE], dtype=np.int64)  # position -1 → OUTSIDE
    for column, lons, lats in pairs:
        missing = np.flatnonzero(column < 0)
        if missing.size:
            column[missing] = ids[locator.locate_indices(lons[missing], lats[missing])]


def _grouped(keys: np.ndarray, *weights: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct rows of ``keys`` and, per row, the count and the sum of each weight.

    Each key column is replaced by its rank among the column's distinct values and the ranks
    are combined into one integer, so the grouping is a 1-D ``np.unique`` (an order of magnitude
    faster than ``np.unique(axis=0)`` on 100,000 rows). The ranges here (companies, hours,
    districts, grid cells of one city) keep the combined key far below 2**63.
    """
    values: list[np.ndarray] = []
    combined = np.zeros(keys.shape[0], dtype=np.int64)
    for column in keys.T:
        distinct, rank = np.unique(column, return_inverse=True)
        values.append(distinct)
        combined = combined * len(distinct) + rank.reshape(-1)
    unique, inverse = np.unique(combined, return_inverse=True)
    inverse = inverse.reshape(-1)
    decoded = np.empty((len(unique), keys.shape[1]), dtype=np.int64)
    rest = unique.copy()
    for i in range(keys.shape[1] - 1, -1, -1):
        rest, rank = np.divmod(rest, len(values[i]))
        decoded[:, i] = values[i][rank]
    sums = [np.bincount(inverse, minlength=len(unique))]
    sums += [np.bincount(inverse, weights=w, minlength=len(unique)) for w in weights]
    return decoded, sums


def _trip_rows(trips: _DayTrips) -> list[dict[str, Any]]:
    """trip_rollup: trips, durations and distances per company, hour and district pair."""
    keys = np.stack([trips.company, trips.hour, trips.start_district, trips.end_district], axis=1)
    unique, (counts, durations, distances) = _grouped(keys, trips.duration, trips.distance)
    return [
        {
            "company_id": k[0],
            "hour": k[1],
            "start_district": k[2],
            "end_district": k[3],
            "trips": c,
            "duration_s": round(du),
            "distance_m": round(di),
        }
        for k, c, du, di in zip(
            unique.tolist(), counts.tolist(), durations.tolist(), distances.tolist(), strict=True
        )
    ]


def _measure_rows(trips: _DayTrips) -> list[dict[str, Any]]:
    """trip_measure_rollup: histograms of durations and distances per company."""
    rows: list[dict[str, Any]] = []
    measures = (
        ("duration", np.minimum(trips.duration // DURATION_BIN_S, DURATION_BINS - 1)),
        ("distance", np.minimum(trips.distance // DISTANCE_BIN_M, DISTANCE_BINS - 1)),
    )
    for measure, bins in measures:
        unique, (counts,) = _grouped(np.stack([trips.company, bins], axis=1))
        rows += [
            {"company_id": k[0], "measure": measure, "bin": k[1], "trips": c}
            for k, c in zip(unique.tolist(), counts.tolist(), strict=True)
        ]
    return rows


def _cell_rows(trips: _DayTrips) -> list[dict[str, Any]]:
    """trip_cell_rollup: starts and ends per company and grid cell."""

    def cells(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        xs = np.floor(lons / CELL_LON).astype(np.int64)
        ys = np.floor(lats / CELL_LAT).astype(np.int64)
        return np.stack([trips.company, xs, ys], axis=1)

    keys = np.concatenate(
        [cells(trips.start_lon, trips.start_lat), cells(trips.end_lon, trips.end_lat)]
    )
    is_start = np.concatenate([np.ones(trips.size), np.zeros(trips.size)])
    unique, (counts, starts) = _grouped(keys, is_start)
    return [
        {
            "company_id": k[0],
            "cell_x": k[1],
            "cell_y": k[2],
            "starts": round(s),
            "ends": c - round(s),
        }
        for k, c, s in zip(unique.tolist(), counts.tolist(), starts.tolist(), strict=True)
    ]


def _versions_of_day(
    db: Session, *, city_id: int, start: datetime, end: datetime
) -> tuple[list[ZoneVersion], bool]:
    """The zone versions in force at some moment of the day, and whether any began or ended
    during it (then each trip's start time decides which version it meets)."""
    versions = [
        v
        for v in zones_service.list_published_versions(db, city_id=city_id)
        if v.in_force_from < end and (v.in_force_until is None or v.in_force_until > start)
    ]
    partial = any(
        v.in_force_from > start or (v.in_force_until is not None and v.in_force_until < end)
        for v in versions
    )
    return versions, partial


def _zone_rows(trips: _DayTrips, versions: list[ZoneVersion]) -> list[dict[str, Any]]:
    """Trips per company that started (ended) in a zone, under the version in force then.

    A trip's end moment is taken as its start plus its duration. Without start times (no
    version changed during the day) every version met every trip of the day.
    """
    if not versions or trips.size == 0:
        return []
    begun = trips.start if trips.start is not None else np.zeros(trips.size)
    ended = begun + trips.duration
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for version in versions:
        everyone = trips.start is None
        lo = version.in_force_from.timestamp()
        until = version.in_force_until
        hi = until.timestamp() if until is not None else np.inf
        area = version.area
        shapely.prepare(area)
        sides = ((begun, trips.start_lon, trips.start_lat), (ended, trips.end_lon, trips.end_lat))
        for slot, (moments, lons, lats) in enumerate(sides):
            when = (
                np.arange(trips.size)
                if everyone
                else np.flatnonzero((moments >= lo) & (moments < hi))
            )
            inside = when[shapely.contains_xy(area, lons[when], lats[when])]
            companies, per_company = np.unique(trips.company[inside], return_counts=True)
            for company_id, n in zip(companies.tolist(), per_company.tolist(), strict=True):
                counts[(version.zone_id, company_id)][slot] += n
    return [
        {"zone_id": zone_id, "company_id": company_id, "starts": s, "ends": e}
        for (zone_id, company_id), (s, e) in sorted(counts.items())
    ]


def rebuild_day(db: Session, *, city: City, day: date) -> int:
    """Recompute one local day's rollups from its trips; returns how many trips it holds."""
    start, end = day_bounds(day, city.timezone)
    in_day = [Trip.city_id == city.id, Trip.start_time >= start, Trip.start_time < end]
    hour = _hour_of(start, end, city.timezone)
    versions, partial = _versions_of_day(db, city_id=city.id, start=start, end=end)
    trips = _load_day(db, city_id=city.id, in_day=in_day, hour=hour, with_times=partial)
    for table in ROLLUP_TABLES:
        db.execute(delete(table).where(table.city_id == city.id, table.local_date == day))
    if trips.size == 0:
        return 0
    batches = (
        (TripRollup, _trip_rows(trips)),
        (TripMeasureRollup, _measure_rows(trips)),
        (TripCellRollup, _cell_rows(trips)),
        (TripZoneRollup, _zone_rows(trips, versions)),
    )
    for table, rows in batches:
        if rows:
            stamp = {"city_id": city.id, "local_date": day}
            db.execute(insert(cast(Table, table.__table__)), [{**row, **stamp} for row in rows])
    return trips.size


def rebuild(db: Session, *, city: City, days: Iterable[date]) -> RollupResult:
    """Recompute the rollups of the given local days (a repair, or after a grid change)."""
    done = sorted(set(days))
    total = sum(rebuild_day(db, city=city, day=day) for day in done)
    return RollupResult(days=done, trips=total)


def _state(db: Session, *, city_id: int) -> TripRollupState:
    """The city's rollup state, locked for this run (PostgreSQL: one run per city at a time)."""
    stmt = select(TripRollupState).where(TripRollupState.city_id == city_id).with_for_update()
    state = db.scalars(stmt).first()
    if state is None:
        state = TripRollupState(city_id=city_id)
        db.add(state)
        db.flush()
    return state


def roll_up(db: Session, *, city: City, now: datetime | None = None) -> RollupResult:
    """Add the days that received trips since the watermark to the pending days, advance the
    watermark, and rebuild up to ``DAYS_PER_RUN`` pending days, newest first."""
    now = now or utcnow()
    state = _state(db, city_id=city.id)
    pending = {date.fromisoformat(d) for d in state.pending_days}
    received = [Trip.city_id == city.id]
    if state.watermark is not None:
        received.append(Trip.received_at > state.watermark)
    newest = db.scalar(select(func.max(Trip.received_at)).where(*received))
    if newest is not None:
        starts = db.scalars(
            select(Trip.start_time).where(*received, Trip.received_at <= newest)
        ).all()
        epochs = np.fromiter((s.timestamp() for s in starts), dtype=np.float64, count=len(starts))
        pending |= local_dates(epochs, city.timezone)
        state.watermark = min(newest, now - SETTLE)
    state.rolled_up_at = now  # checked for new trips now, even when there were none
    if not pending:
        return RollupResult(days=[], trips=0)
    ordered = sorted(pending, reverse=True)
    result = rebuild(db, city=city, days=ordered[:DAYS_PER_RUN])
    state.pending_days = [d.isoformat() for d in sorted(ordered[DAYS_PER_RUN:])]
    state.days_rebuilt += len(result.days)
    log.info(
        "trip rollup of %s: %d days, %d trips, %d days still pending",
        city.slug, len(result.days), result.trips, len(state.pending_days),
    )  # fmt: skip
    return result


def rolled_up_at(db: Session, *, city_id: int) -> datetime | None:
    """When the city's rollup last ran (None: never)."""
    return db.scalar(select(TripRollupState.rolled_up_at).where(TripRollupState.city_id == city_id))
