"""Following a handover up from the company's own data: its feed and its MDS events.

- **Feed.** A handed-over vehicle that leaves its company's GBFS feed *while disabled* has left
  the street: disabled vehicles cannot be rented, so only the company can have taken it. A vehicle
  that leaves while available may just be on a trip (GBFS does not say which, and gives it a new
  id afterwards), so that alone is not taken as a collection.
- **MDS.** A ``maintenance_pick_up`` event of the company, after the vehicle was first reported,
  either for the vehicle's code (MDS ``vehicle_id``), or at the vehicle's place (within
  ``SAME_PLACE_M``) when its feed lost it (within ``SAME_TIME``). The second way is needed because
  a scout's report often knows the vehicle only by its feed id, which MDS does not carry; a pick-up
  where and when the vehicle vanished from the feed is the same vehicle being collected.

Both mark the handover collected (``collected_via`` feed or mds), as if the company had said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from tartip.core.geo import haversine_m
from tartip.damage import service
from tartip.damage.enums import WAITING, CollectedVia
from tartip.damage.models import DamageCase, Handover
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.models import Vehicle
from tartip.trips.models import VehicleEvent

PICK_UP = "maintenance_pick_up"
# Company clocks drift; an event stamped a little before the first report still counts.
CLOCK_SLACK = timedelta(minutes=10)
# A pick-up this close to where the vehicle stood, this close to when it left its feed, is it.
SAME_PLACE_M = 100.0
SAME_TIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Departure:
    """A handed-over vehicle that is no longer in its feed: when, where, and whether disabled."""

    at: datetime
    lon: float
    lat: float
    disabled: bool


def _waiting(db: Session, *, city_id: int) -> list[tuple[Handover, DamageCase]]:
    stmt = (
        select(Handover, DamageCase)
        .join(DamageCase, DamageCase.id == Handover.case_id)
        .where(Handover.city_id == city_id, Handover.status.in_([s.value for s in WAITING]))
        .order_by(Handover.id)
    )
    return [(h, c) for h, c in db.execute(stmt).all()]


def _departures(
    db: Session, *, city_id: int, waiting: list[tuple[Handover, DamageCase]]
) -> dict[int, Departure]:
    """The waiting handovers (by id) whose feed vehicle has left the feed."""
    ids = {c.feed_vehicle_id for _h, c in waiting if c.feed_vehicle_id}
    if not ids:
        return {}
    stmt = select(Vehicle).where(Vehicle.city_id == city_id, Vehicle.vehicle_id.in_(ids))
    rows: dict[tuple[int, str], list[Vehicle]] = {}
    for vehicle in db.scalars(stmt):
        rows.setdefault((vehicle.company_id, vehicle.vehicle_id), []).append(vehicle)
    gone: dict[int, Departure] = {}
    for handover, case in waiting:
        found = rows.get((handover.company_id, case.feed_vehicle_id or ""), [])
        # Forgotten altogether (long after it left), or still there: nothing to say.
        if not found or any(v.in_feed for v in found):
            continue
        last = max(found, key=lambda v: v.last_seen_at)
        disabled = all(v.status == VehicleStatus.disabled for v in found)
        gone[handover.id] = Departure(last.last_seen_at, last.lon, last.lat, disabled)
    return gone


def confirm_by_feed(db: Session, *, city_id: int, now: datetime) -> int:
    """Mark collected the waiting handovers whose vehicle left its feed while disabled."""
    waiting = _waiting(db, city_id=city_id)
    gone = _departures(db, city_id=city_id, waiting=waiting)
    confirmed = 0
    for handover, case in waiting:
        left = gone.get(handover.id)
        if left is None or not left.disabled:
            continue
        evidence = f"vehicle {case.feed_vehicle_id} left the company's feed while disabled"
        if service.confirm_collected(
            db, handover=handover, via=CollectedVia.feed, at=min(left.at, now), evidence=evidence
        ):
            confirmed += 1
    db.flush()
    return confirmed


@dataclass(frozen=True)
class PickUp:
    """One MDS maintenance pick-up of a company."""

    company_id: int
    code: str
    at: datetime
    lon: float | None
    lat: float | None


def _pick_ups(db: Session, *, city_id: int, clauses: list[ColumnElement[bool]]) -> list[PickUp]:
    stmt = select(
        VehicleEvent.company_id,
        func.lower(VehicleEvent.vehicle_id),
        VehicleEvent.timestamp,
        VehicleEvent.event_types,
        VehicleEvent.lon,
        VehicleEvent.lat,
    ).where(
        VehicleEvent.city_id == city_id,
        VehicleEvent.event_types_key.like(f"%{PICK_UP}%"),
        *clauses,
    )
    return [
        PickUp(company_id, code or "", at, lon, lat)
        for company_id, code, at, types, lon, lat in db.execute(stmt)
        if PICK_UP in (types or [])
    ]


def _candidates(
    db: Session,
    *,
    city_id: int,
    waiting: list[tuple[Handover, DamageCase]],
    gone: dict[int, Departure],
    now: datetime,
) -> list[PickUp]:
    """Pick-ups that may be of a waiting vehicle: by its codes, or when and where it vanished."""
    codes = {c.vehicle_code.lower() for _h, c in waiting}
    codes |= {c.feed_vehicle_id.lower() for _h, c in waiting if c.feed_vehicle_id}
    since = min(c.first_reported_at for _h, c in waiting) - CLOCK_SLACK
    by_code = [
        VehicleEvent.timestamp >= since,
        VehicleEvent.timestamp <= now + CLOCK_SLACK,
        func.lower(VehicleEvent.vehicle_id).in_(codes),
    ]
    found = _pick_ups(db, city_id=city_id, clauses=by_code)
    # One small query per vanished vehicle: the index on (city, timestamp) keeps each cheap.
    for left in gone.values():
        window = [
            VehicleEvent.timestamp >= left.at - SAME_TIME,
            VehicleEvent.timestamp <= left.at + SAME_TIME,
        ]
        found += _pick_ups(db, city_id=city_id, clauses=window)
    return found


def _matches(pick: PickUp, case: DamageCase, left: Departure | None) -> bool:
    if pick.at < case.first_reported_at - CLOCK_SLACK:
        return False
    codes = {case.vehicle_code.lower(), (case.feed_vehicle_id or "").lower()} - {""}
    if pick.code in codes:
        return True
    if left is None or pick.lon is None or pick.lat is None:
        return False
    near = haversine_m(pick.lon, pick.lat, left.lon, left.lat) <= SAME_PLACE_M
    return near and abs(pick.at - left.at) <= SAME_TIME


def confirm_by_mds(db: Session, *, city_id: int, now: datetime) -> int:
    """Mark collected the waiting handovers whose company sent an MDS maintenance pick-up."""
    waiting = _waiting(db, city_id=city_id)
    if not waiting:
        return 0
    gone = _departures(db, city_id=city_id, waiting=waiting)
    picks = _candidates(db, city_id=city_id, waiting=waiting, gone=gone, now=now)
    confirmed = 0
    for handover, case in waiting:
        left = gone.get(handover.id)
        times = [
            p.at for p in picks if p.company_id == handover.company_id and _matches(p, case, left)
        ]
        if not times:
            continue
        evidence = f"MDS maintenance_pick_up of vehicle {case.vehicle_code}"
        if service.confirm_collected(
            db, handover=handover, via=CollectedVia.mds, at=min(times), evidence=evidence
        ):
            confirmed += 1
    db.flush()
    return confirmed
