"""The jobs of field operations: tasks from violations, auto-close, re-planning, demo scouts.

- ``ops.tasks_from_violations`` turns each open violation of a kind worth a scout's time into one
  task (never two: the unique (city, violation) constraint holds even for a doubled worker) and
  closes by itself every task whose violation cleared before anyone started on it.
- ``ops.dispatch`` re-plans when tasks or the roster changed (or a minute passed).
- ``ops.simulate_scouts`` walks the demo's simulated scouts; on only with ``simulate_scouts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.ops import planning, simulate
from tartip.ops import service as tasks_service
from tartip.ops.dispatch.planner import Planner
from tartip.ops.enums import OPEN_STATES, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, Task
from tartip.ops.service import WorkRule
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

log = logging.getLogger(__name__)


# Kinds a scout can put right. Fleet caps, vehicles outside the service area and vehicles merely
# parked long are the companies' to fix (a scout cannot remove a fleet), so they make no task.
H = timedelta(hours=1)
MOVE, TIDY = TaskKind.move_to_parking, TaskKind.tidy_cluster
WORK: dict[ViolationKind, WorkRule] = {
    ViolationKind.no_ride: WorkRule(MOVE, 5, H / 2, "No-ride zone"),
    ViolationKind.no_parking: WorkRule(MOVE, 4, H, "No-parking zone"),
    ViolationKind.clutter: WorkRule(TIDY, 4, H, "Clutter"),
    ViolationKind.outside_parking: WorkRule(MOVE, 3, 2 * H, "Outside parking"),
    ViolationKind.over_capacity: WorkRule(TIDY, 3, 2 * H, "Parking over capacity"),
    ViolationKind.duty_overload: WorkRule(TaskKind.patrol_zone, 3, H, "Duty zone overloaded"),
    ViolationKind.disabled_too_long: WorkRule(
        TaskKind.inspect_vehicle, 2, 4 * H, "Disabled vehicle"
    ),
}
VEHICLES_KEPT = 20
DISPATCH_STATE = "ops.dispatch"
REPLAN_AT_LEAST = timedelta(seconds=60)


def _duty_zone(rules: list[ZoneRule], lon: float, lat: float) -> int | None:
    for rule in rules:
        if shapely.intersects_xy(rule.geometry, lon, lat):
            return rule.zone_id
    return None


def _company_ids(violation: Violation, by_slug: dict[str, int]) -> list[int]:
    if violation.company_id is not None:
        return [violation.company_id]
    by_company = (violation.evidence or {}).get("by_company") or {}
    return sorted({by_slug[s] for s in by_company if s in by_slug})


def _task_for(
    violation: Violation, rule: WorkRule, *, zone_id: int | None, by_slug: dict[str, int]
) -> Task:
    name = (violation.evidence or {}).get("zone_name")
    return Task(
        city_id=violation.city_id,
        kind=rule.kind,
        origin=TaskOrigin.violation,
        state=TaskState.new,
        title=f"{rule.title}: {name}" if name else rule.title,
        priority=rule.priority,
        lon=violation.lon,
        lat=violation.lat,
        zone_id=zone_id,
        deadline=violation.opened_at + rule.within,
        violation_id=violation.id,
        company_ids=_company_ids(violation, by_slug),
        vehicles=[
            {k: v.get(k) for k in ("vehicle_id", "company_id", "lon", "lat")}
            for v in (violation.vehicles or [])[:VEHICLES_KEPT]
        ],
        created_by="compliance",
        created_at=violation.opened_at,
        updated_at=utcnow(),
    )


def tasks_from_violations(db: Session, *, city: City, at: datetime) -> int:
    """One task per open violation worth work that has none yet; returns how many were made."""
    stmt = (
        select(Violation)
        .outerjoin(Task, Task.violation_id == Violation.id)
        .where(
            Violation.city_id == city.id,
            Violation.closed_at.is_(None),
            Violation.cleared_at.is_(None),
            Violation.kind.in_([k.value for k in WORK]),
            Task.id.is_(None),
        )
        .order_by(Violation.id)
    )
    found = list(db.scalars(stmt))
    if not found:
        return 0
    rules = [
        r for r in zones_service.active_rules(db, city_id=city.id, at=at) if r.kind is ZoneKind.duty
    ]
    by_slug = {c.slug: c.id for c in cities_service.list_companies(db, city_id=city.id)}
    made = 0
    for violation in found:
        rule = WORK[ViolationKind(violation.kind)]
        zone_id = _duty_zone(rules, violation.lon, violation.lat) or violation.zone_id
        try:
            with db.begin_nested():
                db.add(_task_for(violation, rule, zone_id=zone_id, by_slug=by_slug))
                db.flush()
            made += 1
        except IntegrityError:
            log.info("violation %s already has a task (another worker made it)", violation.id)
    return made


def close_cleared(db: Session, *, city: City, at: datetime) -> int:
    """Close the tasks whose violation cleared (or vanished) before work began."""
    stmt = (
        select(Task)
        .outerjoin(Violation, Violation.id == Task.violation_id)
        .where(
            Task.city_id == city.id,
            Task.origin == TaskOrigin.violation,
            Task.state.in_([TaskState.new, TaskState.assigned, TaskState.accepted]),
            (Violation.id.is_(None)) | (Violation.closed_at.is_not(None)),
        )
    )
    closed = 0
    for task in db.scalars(stmt):
        if tasks_service.auto_close(task, at=at, reason="the violation cleared before work began"):
            closed += 1
    return closed


@job("ops.tasks_from_violations", every_s=10.0)
def violations_job(_ctx: JobContext, db: Session, city: City) -> None:
    """Make tasks from new violations and close those whose violation cleared."""
    at = utcnow()
    made = tasks_from_violations(db, city=city, at=at)
    closed = close_cleared(db, city=city, at=at)
    if made or closed:
        log.info("ops city %s: %d tasks made, %d auto-closed", city.id, made, closed)


def _stamp(db: Session, *, city_id: int) -> tuple[Any, ...]:
    """Changes whenever a task or a shift changed: the planner runs again only then."""
    tasks = db.execute(
        select(func.count(Task.id), func.max(Task.updated_at)).where(
            Task.city_id == city_id, Task.state.in_([s.value for s in OPEN_STATES])
        )
    ).one()
    shifts = db.execute(
        select(func.count(Shift.id), func.max(Shift.checked_in_at), func.max(Shift.checked_out_at))
        .where(Shift.city_id == city_id)
    ).one()  # fmt: skip
    return (*tuple(tasks), *tuple(shifts))


@dataclass
class DispatchState:
    """What the dispatch job keeps per city: the planner (with its travel times) and a stamp."""

    planner: Planner
    stamp: tuple[Any, ...] = ()
    planned_at: datetime | None = None


def _dispatch_state(ctx: JobContext, city: City) -> DispatchState:
    cities: dict[int, DispatchState] = ctx.state.setdefault(DISPATCH_STATE, {})
    if city.id not in cities:
        data_dir = getattr(ctx.settings, "data_dir", None)
        cache = Path(data_dir) / "cache" if data_dir is not None else None
        cities[city.id] = DispatchState(planning.make_planner(city, cache_dir=cache))
    return cities[city.id]


@job("ops.dispatch", every_s=15.0)
def dispatch_job(ctx: JobContext, db: Session, city: City) -> None:
    """Re-plan the city's tasks when tasks or the roster changed, or at least every minute."""
    state = _dispatch_state(ctx, city)
    at = utcnow()
    stamp = _stamp(db, city_id=city.id)
    fresh = state.planned_at is None
    if not fresh and state.stamp == stamp and at - (state.planned_at or at) < REPLAN_AT_LEAST:
        return
    plan = planning.plan_function(state.planner, fresh=fresh)
    planning.replan(db, city=city, at=at, plan_fn=plan)
    db.flush()
    state.stamp, state.planned_at = _stamp(db, city_id=city.id), at


@job("ops.simulate_scouts", every_s=5.0)
def simulate_job(ctx: JobContext, db: Session, city: City) -> None:
    """Walk the demo's simulated scouts and let them work (only with ``simulate_scouts`` on)."""
    if not ctx.settings.simulate_scouts:
        return
    simulate.step(db, city=city, at=utcnow())
