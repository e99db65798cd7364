"""Dispatch integration: the roster and open tasks in, the planner's routes out, stored.

The planner (``tartip.ops.dispatch``, a pure package) sees plain dataclasses. This module builds
them from the database (scouts checked in on a running shift, open tasks), calls the planner, and
writes what it decided: the scout, the order on the route, the ETA and the planner's sentence
saying why. Tasks a scout already accepted stay theirs (pinned to them); a supervisor's pinned
assignment is kept; only new and merely assigned tasks move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.ops import service as tasks_service
from tartip.ops import staff
from tartip.ops.dispatch import model as dm
from tartip.ops.dispatch.network import RoadNetwork
from tartip.ops.dispatch.network_times import NetworkTravelTimes
from tartip.ops.dispatch.planner import Planner
from tartip.ops.dispatch.travel import StraightLineTimes, TravelTimeSource
from tartip.ops.enums import OPEN_STATES, PLANNABLE_STATES, TaskState, TravelMode
from tartip.ops.models import Shift, StaffProfile, Task

log = logging.getLogger(__name__)

MODES = {
    TravelMode.on_foot: dm.TravelMode.walk,
    TravelMode.e_bike: dm.TravelMode.bike,
    TravelMode.car: dm.TravelMode.car,
}
PRIORITIES = {
    1: dm.Priority.low,
    2: dm.Priority.normal,
    3: dm.Priority.normal,
    4: dm.Priority.high,
    5: dm.Priority.urgent,
}
PLANNER = "planner"
# The street networks Tartip ships (OSM, ODbL), by city slug.
ROADS = {"almaty": "data/almaty/roads/almaty_roads_osm_2024.geojson"}

PlanFunction = Callable[[list[dm.Scout], list[dm.Task], datetime], dm.Plan]


@dataclass
class PlanInput:
    """What the planner is given, and the rows it was made from."""

    scouts: list[dm.Scout]
    tasks: list[dm.Task]
    rows: dict[int, Task]
    scout_ids: set[int] = field(default_factory=set)


def _position(profile: StaffProfile | None, shift: Shift, city: City) -> dm.LonLat:
    if profile is not None and profile.last_lon is not None and profile.last_lat is not None:
        return (profile.last_lon, profile.last_lat)
    if shift.check_in_lon is not None and shift.check_in_lat is not None:
        return (shift.check_in_lon, shift.check_in_lat)
    return (city.center_lon, city.center_lat)


def _scouts(
    db: Session, *, city: City, at: datetime, routes: dict[int, list[Task]]
) -> list[dm.Scout]:
    shifts = [
        s
        for s in staff.current_shifts(db, city_id=city.id, at=at)
        if s.checked_in_at is not None and s.checked_out_at is None
    ]
    ids = [s.user_id for s in shifts]
    profiles = {
        p.user_id: p for p in db.scalars(select(StaffProfile).where(StaffProfile.user_id.in_(ids)))
    }
    out = []
    for shift in shifts:
        profile = profiles.get(shift.user_id)
        mode = TravelMode(profile.travel_mode) if profile else TravelMode.on_foot
        route = routes.get(shift.user_id, [])
        out.append(
            dm.Scout(
                id=str(shift.user_id),
                position=_position(profile, shift, city),
                mode=MODES[mode],
                zone_ids=frozenset(str(z) for z in shift.zone_ids),
                shift_end=shift.ends_at,
                current_route=tuple(str(t.id) for t in route),
            )
        )
    return out


def _task(task: Task) -> dm.Task:
    committed = TaskState(task.state) not in PLANNABLE_STATES
    pin = task.scout_id if (committed or task.pinned) else None
    return dm.Task(
        id=str(task.id),
        position=(task.lon, task.lat),
        priority=PRIORITIES.get(task.priority, dm.Priority.normal),
        deadline=task.deadline,
        zone_id=str(task.zone_id) if task.zone_id is not None else None,
        pinned_scout_id=str(pin) if pin is not None else None,
    )


def build(db: Session, *, city: City, at: datetime) -> PlanInput:
    """The planner's input: scouts checked in on a running shift, and the city's open tasks."""
    rows = {
        t.id: t for t in tasks_service.open_tasks(db, city_id=city.id, states=list(OPEN_STATES))
    }
    routes: dict[int, list[Task]] = {}
    for task in sorted(rows.values(), key=lambda t: (t.route_seq or 10_000, t.id)):
        if task.scout_id is not None:
            routes.setdefault(task.scout_id, []).append(task)
    scouts = _scouts(db, city=city, at=at, routes=routes)
    return PlanInput(
        scouts=scouts,
        tasks=[_task(t) for t in rows.values()],
        rows=rows,
        scout_ids={int(s.id) for s in scouts},
    )


def travel_source(city: City, *, cache_dir: Path | None = None) -> TravelTimeSource:
    """Travel times over the city's street network when Tartip ships it, else straight lines."""
    roads = ROADS.get(city.slug)
    if roads is not None:
        path = Path(str(resources.files("tartip") / roads))
        if path.exists():
            return NetworkTravelTimes(RoadNetwork.load(path, cache_dir=cache_dir))
    return StraightLineTimes()


def make_planner(
    city: City, *, cache_dir: Path | None = None, options: dm.PlanOptions | None = None
) -> Planner:
    """A planner for ``city``; keep it between runs so its travel times are reused."""
    return Planner(travel_source(city, cache_dir=cache_dir), options)


def plan_function(planner: Planner, *, fresh: bool) -> PlanFunction:
    """``plan`` from scratch the first time, ``replan`` (few moves between scouts) after that."""

    def call(scouts: list[dm.Scout], items: list[dm.Task], at: datetime) -> dm.Plan:
        if fresh:
            return planner.plan(scouts, items, now=at)
        return planner.replan(scouts, items, now=at)

    return call


def apply(db: Session, *, plan: dm.Plan, data: PlanInput, at: datetime) -> int:
    """Write the plan: scouts, route order, ETAs and reasons; returns tasks that changed scout."""
    moved = 0
    placed: set[int] = set()
    for route in plan.routes:
        scout_id = int(route.scout_id)
        for seq, stop in enumerate(route.stops, start=1):
            task = data.rows.get(int(stop.task_id))
            if task is None:
                continue
            placed.add(task.id)
            if task.scout_id != scout_id and TaskState(task.state) in PLANNABLE_STATES:
                tasks_service.record_assignment(
                    db, task=task, scout_id=scout_id, by=PLANNER, pinned=False,
                    explanation=stop.explanation.text, at=at,
                )  # fmt: skip
                moved += 1
            elif not task.pinned and TaskState(task.state) in PLANNABLE_STATES:
                task.explanation = stop.explanation.text
            task.route_seq, task.eta = seq, stop.arrival
    for unserved in plan.unserved:
        moved += _unserve(
            db, data=data, task_id=int(unserved.task_id), detail=unserved.detail, at=at
        )
    for task in data.rows.values():
        if (
            task.id not in placed
            and task.scout_id is not None
            and task.scout_id not in data.scout_ids
        ):
            moved += _unserve(
                db, data=data, task_id=task.id, detail="the scout is off shift", at=at
            )
    return moved


def _unserve(db: Session, *, data: PlanInput, task_id: int, detail: str, at: datetime) -> int:
    task = data.rows.get(task_id)
    if task is None:
        return 0
    task.route_seq, task.eta = None, None
    if TaskState(task.state) == TaskState.assigned and not task.pinned:
        tasks_service.record_assignment(
            db, task=task, scout_id=None, by=PLANNER, pinned=False, explanation=detail, at=at
        )
        return 1
    if TaskState(task.state) == TaskState.new:
        task.explanation = detail
    return 0


def replan(
    db: Session, *, city: City, at: datetime, plan_fn: PlanFunction | None = None
) -> dm.Plan:
    """Plan the city's open tasks over its scouts on shift and store the result."""
    data = build(db, city=city, at=at)
    # Without a planner of the job's: a quick greedy plan over straight lines (tests, one-offs).
    quick = Planner(StraightLineTimes(), dm.PlanOptions(improve_time_s=0.0))
    plan = plan_fn or plan_function(quick, fresh=True)
    result = plan(data.scouts, data.tasks, at)
    moved = apply(db, plan=result, data=data, at=at)
    db.flush()
    log.info(
        "dispatch city %s: %d scouts, %d tasks, %d unserved, %d moved",
        city.id, len(data.scouts), len(data.tasks), len(result.unserved), moved,
    )  # fmt: skip
    return result
