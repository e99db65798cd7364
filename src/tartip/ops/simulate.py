"""Simulated scouts for the demo: they check in, walk to their tasks, work them and count.

Only profiles flagged ``simulated`` (made by ``ops.demo.seed_demo_staff``) move; a real person's
profile is never touched. Counts come from the live feed near the task, as a real scout's
pre-filled form would show them. The walk runs faster than life so the demo shows work done.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.errors import TartipError
from tartip.core.geo import METRES_PER_DEGREE, haversine_m
from tartip.ops import service as tasks_service
from tartip.ops import staff, vehicles, work
from tartip.ops.enums import TaskAction, TaskState, TravelMode
from tartip.ops.models import Shift, StaffProfile, Task
from tartip.ops.schemas import CheckIn, CompanyCount, TaskFinish
from tartip.zones.models import Zone

SPEED = {TravelMode.on_foot: 1.4, TravelMode.e_bike: 4.5, TravelMode.car: 7.0}  # m/s
SPEEDUP = 4.0  # the demo walks four times faster than life
ARRIVED_M = 20.0
WORK_FOR = timedelta(seconds=40)
MAX_STEP = timedelta(seconds=30)


def _scope(user: User, city: City) -> Scope:
    return Scope(user_id=user.id, username=user.username, role=Role(user.role), city_id=city.id)


def _towards(
    lon: float, lat: float, tlon: float, tlat: float, metres: float
) -> tuple[float, float]:
    distance = haversine_m(lon, lat, tlon, tlat)
    if distance <= metres or distance == 0:
        return tlon, tlat
    f = metres / distance
    return lon + (tlon - lon) * f, lat + (tlat - lat) * f


def _patrol_point(
    db: Session, shift: Shift, city: City, at: datetime, seed: int
) -> tuple[float, float]:
    zone = db.get(Zone, shift.zone_ids[0]) if shift.zone_ids else None
    centre = zone.area.centroid if zone is not None else None
    lon, lat = (centre.x, centre.y) if centre is not None else (city.center_lon, city.center_lat)
    rng = random.Random(seed * 100_003 + int(at.timestamp() // 90))
    angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(20, 150)
    dlat = radius * math.sin(angle) / METRES_PER_DEGREE
    dlon = radius * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _counts(db: Session, task: Task) -> list[CompanyCount]:
    slugs = {c.id: c.slug for c in cities_service.list_companies(db, city_id=task.city_id)}
    near = vehicles.nearby_counts(db, city_id=task.city_id, lon=task.lon, lat=task.lat)
    if not near:
        near = dict.fromkeys(task.company_ids, 1) or ({next(iter(slugs)): 1} if slugs else {})
    return [CompanyCount(company=slugs[c], count=min(n, 50)) for c, n in near.items() if c in slugs]


def _work(db: Session, scope: Scope, task: Task, at: datetime) -> None:
    if TaskState(task.state) in (TaskState.assigned, TaskState.accepted):
        tasks_service.act(db, scope=scope, task_id=task.id, action=TaskAction.start, at=at)
    elif task.started_at is not None and at - task.started_at >= WORK_FOR:
        data = TaskFinish(counts=_counts(db, task), at=at)  # a simulated scout writes no note
        work.finish(db, scope=scope, task_id=task.id, data=data)


def _step_one(
    db: Session, *, profile: StaffProfile, user: User, shift: Shift, city: City, at: datetime
) -> None:
    scope = _scope(user, city)
    here = (profile.last_lon, profile.last_lat)
    if shift.checked_in_at is None or shift.checked_out_at is not None:
        lon, lat = (
            here
            if here[0] is not None and here[1] is not None
            else _patrol_point(db, shift, city, at, user.id)
        )
        staff.check_in(db, scope=scope, data=CheckIn(lon=lon, lat=lat, at=at))
        return
    if profile.last_lon is None or profile.last_lat is None:
        return
    mine = tasks_service.my_tasks(db, scope=scope)
    target = (mine[0].lon, mine[0].lat) if mine else _patrol_point(db, shift, city, at, user.id)
    elapsed = min(at - (profile.last_seen_at or at), MAX_STEP).total_seconds()
    metres = SPEED[TravelMode(profile.travel_mode)] * SPEEDUP * max(elapsed, 0.0)
    lon, lat = _towards(profile.last_lon, profile.last_lat, target[0], target[1], metres)
    staff.report_position(db, scope=scope, data=CheckIn(lon=lon, lat=lat, at=at))
    if mine and haversine_m(lon, lat, target[0], target[1]) <= ARRIVED_M:
        _work(db, scope, mine[0], at)


def step(db: Session, *, city: City, at: datetime) -> int:
    """Move every simulated scout on shift one step; returns how many moved."""
    rows = db.execute(
        select(StaffProfile, User)
        .join(User, User.id == StaffProfile.user_id)
        .where(StaffProfile.city_id == city.id, StaffProfile.simulated.is_(True), User.is_active)
    )
    shifts = {s.user_id: s for s in staff.current_shifts(db, city_id=city.id, at=at)}
    moved = 0
    for profile, user in rows:
        shift = shifts.get(user.id)
        if shift is None:
            continue
        try:
            with db.begin_nested():
                _step_one(db, profile=profile, user=user, shift=shift, city=city, at=at)
            moved += 1
        except TartipError:
            continue  # a task taken from under the scout: next step picks another
    return moved
