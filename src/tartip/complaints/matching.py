"""Which vehicles were at a complaint's place around its time, and the zone in force there.

A complaint about the last minutes (``live_for``) reads the live vehicle table, then the history;
an older one reads only the fleet's history of changes (``VehicleChange``). A vehicle's position at
a moment is the place of its last change before it (a ``left_feed`` change ends its presence); a
vehicle that stood still has no change at all, and its row in the vehicle table says where it is
and since when. A vehicle matches when it stood within ``radius_m`` of the place at some moment
within ``window`` of the complaint's time. GBFS ids rotate after each trip, so what matches is a
vehicle *between two trips*, and the company is what staff most need from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.complaints.enums import MatchOrigin
from tartip.core.geo import METRES_PER_DEGREE, haversine_m
from tartip.fleet.enums import ChangeKind
from tartip.fleet.models import Vehicle, VehicleChange
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

MAX_MATCHES = 30
# Which zone names the place when several cover it: the one whose rule says most about parking.
ZONE_ORDER = (
    ZoneKind.no_ride,
    ZoneKind.no_parking,
    ZoneKind.parking,
    ZoneKind.slow,
    ZoneKind.duty,
    ZoneKind.service_area,
)
# A first change of these kinds says the vehicle already stood there before it.
STOOD_BEFORE = frozenset({ChangeKind.status_changed, ChangeKind.left_feed})


@dataclass(frozen=True)
class MatchParams:
    """How far and how long around the complaint's place and time vehicles are looked for."""

    radius_m: float
    window: timedelta
    live_for: timedelta
    lookback: timedelta


@dataclass(frozen=True)
class Match:
    """One vehicle found at the place: where, how far, when, and from which source."""

    company_id: int
    vehicle_id: str
    lon: float
    lat: float
    distance_m: float
    seen_at: datetime
    origin: MatchOrigin


@dataclass(frozen=True)
class _Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def _box(lon: float, lat: float, radius_m: float) -> _Box:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return _Box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def find(
    db: Session,
    *,
    city_id: int,
    lon: float,
    lat: float,
    at: datetime,
    now: datetime,
    params: MatchParams,
) -> list[Match]:
    """The vehicles that were within the radius around ``at``, nearest first."""
    found: dict[tuple[int, str], Match] = {}
    if now - at <= params.live_for:
        for m in live(db, city_id=city_id, lon=lon, lat=lat, radius_m=params.radius_m):
            found[(m.company_id, m.vehicle_id)] = m
    for m in history(db, city_id=city_id, lon=lon, lat=lat, at=at, now=now, params=params):
        found.setdefault((m.company_id, m.vehicle_id), m)
    return sorted(found.values(), key=lambda m: (m.distance_m, m.vehicle_id))[:MAX_MATCHES]


def live(db: Session, *, city_id: int, lon: float, lat: float, radius_m: float) -> list[Match]:
    """Vehicles in the live picture within ``radius_m`` of the place now."""
    box = _box(lon, lat, radius_m)
    stmt = select(Vehicle).where(
        Vehicle.city_id == city_id,
        Vehicle.in_feed.is_(True),
        Vehicle.lon.between(box.min_lon, box.max_lon),
        Vehicle.lat.between(box.min_lat, box.max_lat),
    )
    out = []
    for v in db.scalars(stmt):
        distance = haversine_m(lon, lat, v.lon, v.lat)
        if distance <= radius_m:
            out.append(
                Match(
                    v.company_id,
                    v.vehicle_id,
                    v.lon,
                    v.lat,
                    round(distance, 1),
                    v.last_seen_at,
                    MatchOrigin.live,
                )  # fmt: skip
            )
    return out


@dataclass(frozen=True)
class _Stand:
    """A vehicle standing at one place from ``start`` until ``end``."""

    start: datetime
    end: datetime
    lon: float
    lat: float


def _stands(
    changes: list[VehicleChange], row: Vehicle | None, *, since: datetime, now: datetime
) -> list[_Stand]:
    """Where a vehicle stood over time, from its changes (or its row, when it never changed)."""
    if not changes:
        if row is None:
            return []
        end = now if row.in_feed else row.last_seen_at
        return [_Stand(max(row.first_seen_at, since), end, row.lon, row.lat)]
    out = []
    first = changes[0]
    if ChangeKind(first.kind) in STOOD_BEFORE:
        out.append(_Stand(since, first.at, first.lon, first.lat))
    for i, change in enumerate(changes):
        if ChangeKind(change.kind) is ChangeKind.left_feed:
            continue
        end = changes[i + 1].at if i + 1 < len(changes) else now
        out.append(_Stand(change.at, end, change.lon, change.lat))
    return out


def _keys_near(
    db: Session, *, city_id: int, box: _Box, since: datetime, until: datetime
) -> set[tuple[int, str]]:
    changed = select(VehicleChange.feed_id, VehicleChange.vehicle_id).where(
        VehicleChange.city_id == city_id,
        VehicleChange.at.between(since, until),
        VehicleChange.lon.between(box.min_lon, box.max_lon),
        VehicleChange.lat.between(box.min_lat, box.max_lat),
    )
    standing = select(Vehicle.feed_id, Vehicle.vehicle_id).where(
        Vehicle.city_id == city_id,
        Vehicle.first_seen_at <= until,
        Vehicle.lon.between(box.min_lon, box.max_lon),
        Vehicle.lat.between(box.min_lat, box.max_lat),
    )
    return {(f, v) for f, v in db.execute(changed)} | {(f, v) for f, v in db.execute(standing)}


def history(
    db: Session,
    *,
    city_id: int,
    lon: float,
    lat: float,
    at: datetime,
    now: datetime,
    params: MatchParams,
) -> list[Match]:
    """Vehicles the fleet's history places within the radius around ``at``."""
    lo, hi = at - params.window, at + params.window
    since = at - params.lookback
    keys = _keys_near(
        db, city_id=city_id, box=_box(lon, lat, params.radius_m), since=since, until=hi
    )
    if not keys:
        return []
    feed_ids = sorted({f for f, _v in keys})
    vehicle_ids = sorted({v for _f, v in keys})
    changes: dict[tuple[int, str], list[VehicleChange]] = {}
    stmt = (
        select(VehicleChange)
        .where(
            VehicleChange.city_id == city_id,
            VehicleChange.feed_id.in_(feed_ids),
            VehicleChange.vehicle_id.in_(vehicle_ids),
            VehicleChange.at >= since,
        )
        .order_by(VehicleChange.at, VehicleChange.id)
    )
    for change in db.scalars(stmt):
        changes.setdefault((change.feed_id, change.vehicle_id), []).append(change)
    rows = {
        (v.feed_id, v.vehicle_id): v
        for v in db.scalars(
            select(Vehicle).where(
                Vehicle.city_id == city_id,
                Vehicle.feed_id.in_(feed_ids),
                Vehicle.vehicle_id.in_(vehicle_ids),
            )
        )
    }
    out = []
    for key in keys:
        found, row = changes.get(key, []), rows.get(key)
        company_id = found[0].company_id if found else (row.company_id if row else None)
        if company_id is None:
            continue
        best = _nearest(_stands(found, row, since=since, now=now), lon, lat, at, lo, hi)
        if best is not None and best[0] <= params.radius_m:
            distance, seen, stand = best
            out.append(
                Match(
                    company_id,
                    key[1],
                    stand.lon,
                    stand.lat,
                    round(distance, 1),
                    seen,
                    MatchOrigin.history,
                )  # fmt: skip
            )
    return out


def _nearest(
    stands: Iterable[_Stand], lon: float, lat: float, at: datetime, lo: datetime, hi: datetime
) -> tuple[float, datetime, _Stand] | None:
    """The closest place a vehicle stood within [lo, hi], the moment nearest ``at`` it was there."""
    best: tuple[float, timedelta, datetime, _Stand] | None = None
    for stand in stands:
        start, end = max(stand.start, lo), min(stand.end, hi)
        if start > end:
            continue
        seen = min(max(at, start), end)
        candidate = (haversine_m(lon, lat, stand.lon, stand.lat), abs(seen - at), seen, stand)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return None if best is None else (best[0], best[2], best[3])


def zone_at(db: Session, *, city_id: int, lon: float, lat: float, at: datetime) -> ZoneRule | None:
    """The zone in force at the place (the one saying most about parking, if several)."""
    rules = [
        r
        for r in zones_service.active_rules(db, city_id=city_id, at=at)
        if shapely.intersects_xy(r.geometry, lon, lat)
    ]
    rules.sort(key=lambda r: (ZONE_ORDER.index(r.kind), r.zone_id))
    return rules[0] if rules else None


def duty_zone_at(db: Session, *, city_id: int, lon: float, lat: float, at: datetime) -> int | None:
    """The duty zone at the place, if any: a scout's task belongs to it."""
    for rule in zones_service.active_rules(db, city_id=city_id, at=at):
        if rule.kind is ZoneKind.duty and shapely.intersects_xy(rule.geometry, lon, lat):
            return rule.zone_id
    return None
