"""Tasks made from violations (once), closed when the violation clears, planned, and simulated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext
from tartip.ops import demo, jobs, planning, simulate
from tartip.ops import service as tasks
from tartip.ops.dispatch.model import PlanOptions
from tartip.ops.dispatch.planner import Planner
from tartip.ops.dispatch.travel import StraightLineTimes
from tartip.ops.enums import TaskAction, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, StaffProfile, Task, WorkLog
from tartip.settings import Settings
from tests import builders
from tests.ops.helpers import (
    CENTRE,
    make_duty_zone,
    make_shift,
    make_staff,
    make_task,
    make_violation,
    scope_of,
)


def _tasks(db: Session, city: City) -> list[Task]:
    return list(db.scalars(select(Task).where(Task.city_id == city.id).order_by(Task.id)))


def test_each_open_violation_worth_work_becomes_one_task(db: Session, city: City):
    jet = builders.company(db, city, "jet")
    zone = make_duty_zone(db, city)
    clutter = make_violation(
        db, city, kind=ViolationKind.clutter, by_company={"jet": 3, "whoosh": 2}
    )
    no_parking = make_violation(
        db, city, kind=ViolationKind.no_parking, company_id=jet.id, lon=77.2, lat=43.0
    )
    make_violation(
        db, city, kind=ViolationKind.fleet_cap, company_id=jet.id
    )  # the company's to fix
    assert jobs.tasks_from_violations(db, city=city, at=utcnow()) == 2
    made = _tasks(db, city)
    by_violation = {t.violation_id: t for t in made}
    assert set(by_violation) == {clutter.id, no_parking.id}
    tidy = by_violation[clutter.id]
    assert (tidy.kind, tidy.origin, tidy.state) == (
        TaskKind.tidy_cluster,
        TaskOrigin.violation,
        TaskState.new,
    )
    assert tidy.zone_id == zone.id  # inside the duty zone
    assert len(tidy.company_ids) == 2 and tidy.deadline is not None
    assert by_violation[no_parking.id].company_ids == [jet.id]
    # A second run (a restart, a doubled worker) makes nothing new.
    assert jobs.tasks_from_violations(db, city=city, at=utcnow()) == 0
    assert len(_tasks(db, city)) == 2


def test_a_task_closes_by_itself_when_its_violation_clears_before_work(db: Session, city: City):
    first = make_violation(db, city)
    second = make_violation(db, city, lon=76.95)
    third = make_violation(db, city, lon=76.96)
    jobs.tasks_from_violations(db, city=city, at=utcnow())
    scout = make_staff(db, city)
    by_violation = {t.violation_id: t for t in _tasks(db, city)}
    begun = by_violation[second.id]
    begun.scout_id, begun.state = scout.id, TaskState.in_progress
    for violation in (first, second):
        violation.closed_at, violation.open_key = utcnow(), None
    db.flush()
    assert jobs.close_cleared(db, city=city, at=utcnow()) == 1
    assert by_violation[first.id].state == TaskState.auto_closed
    assert (
        by_violation[second.id].state == TaskState.in_progress
    )  # the scout is at work: they finish
    assert by_violation[third.id].state == TaskState.new
    assert jobs.close_cleared(db, city=city, at=utcnow()) == 0


def test_the_violations_job_runs_both_steps(db: Session, city: City, settings: Settings):
    violation = make_violation(db, city)
    ctx = JobContext(settings=settings, http=None)
    jobs.violations_job(ctx, db, city)
    assert len(_tasks(db, city)) == 1
    violation.closed_at, violation.open_key = utcnow(), None
    db.flush()
    jobs.violations_job(ctx, db, city)
    assert _tasks(db, city)[0].state == TaskState.auto_closed


def test_dispatch_assigns_tasks_to_scouts_checked_in_and_keeps_pins(
    db: Session, city: City, settings: Settings
):
    zone = make_duty_zone(db, city)
    near, far, absent = make_staff(db, city), make_staff(db, city), make_staff(db, city)
    make_shift(db, city, near, zones=[zone], lon=CENTRE[0], lat=CENTRE[1])
    make_shift(db, city, far, zones=[zone], lon=CENTRE[0] + 0.05, lat=CENTRE[1])
    make_shift(db, city, absent, zones=[zone], checked_in=False)
    free = make_task(db, city, zone=zone, lon=CENTRE[0] + 0.001)
    pinned = make_task(db, city, scout=far, zone=zone)
    pinned.pinned = True
    stale = make_task(db, city, scout=absent, zone=zone)
    db.flush()
    ctx = JobContext(settings=settings, http=None)
    quick = Planner(StraightLineTimes(), PlanOptions(improve_time_s=0.0))
    ctx.state[jobs.DISPATCH_STATE] = {city.id: jobs.DispatchState(quick)}
    jobs.dispatch_job(ctx, db, city)
    assert free.scout_id in (near.id, far.id) and free.state == TaskState.assigned
    assert free.explanation and free.eta is not None and free.route_seq is not None
    assert pinned.scout_id == far.id
    assert stale.scout_id in (near.id, far.id)  # the absent scout's task went to someone on shift


def test_dispatch_leaves_tasks_unserved_with_a_reason_when_nobody_is_on_shift(
    db: Session, city: City
):
    task = make_task(db, city)
    planning.replan(db, city=city, at=utcnow())
    assert task.scout_id is None and task.state == TaskState.new and task.explanation


def test_the_planner_prefers_the_scout_of_the_duty_zone(db: Session, city: City):
    zone = make_duty_zone(db, city)
    inside, outside = make_staff(db, city), make_staff(db, city)
    make_shift(db, city, inside, zones=[zone], lon=CENTRE[0] + 0.03, lat=CENTRE[1])
    make_shift(db, city, outside, zones=[], lon=CENTRE[0], lat=CENTRE[1])
    task = make_task(db, city, zone=zone)
    planning.replan(db, city=city, at=utcnow())
    assert task.scout_id == inside.id


def test_demo_staff_are_seeded_once_and_simulated_scouts_do_the_work(db: Session, city: City):
    zone = make_duty_zone(db, city)
    builders.make_user(db, city, username="scout", role=Role.scout)
    people = demo.seed_demo_staff(db, city)
    again = demo.seed_demo_staff(db, city)
    assert [p.id for p in people] == [p.id for p in again]
    assert len(people) == len(demo.DEMO_SCOUTS) + 1
    shifts = list(db.scalars(select(Shift).where(Shift.city_id == city.id)))
    assert len(shifts) == len(people) and all(zone.id in s.zone_ids for s in shifts)
    profiles = list(db.scalars(select(StaffProfile).where(StaffProfile.simulated.is_(True))))
    assert len(profiles) == len(demo.DEMO_SCOUTS)
    now = utcnow()
    simulate.step(db, city=city, at=now)  # everyone checks in
    sim = profiles[0]
    task = make_task(db, city, lon=sim.last_lon or CENTRE[0], lat=sim.last_lat or CENTRE[1])
    tasks.record_assignment(
        db, task=task, scout_id=sim.user_id, by="test", pinned=True, explanation="", at=now
    )
    simulate.step(db, city=city, at=now + timedelta(seconds=5))
    assert task.state == TaskState.in_progress
    simulate.step(db, city=city, at=now + timedelta(seconds=60))
    assert task.state == TaskState.done
    log = db.scalars(select(WorkLog).where(WorkLog.task_id == task.id)).one()
    assert log.total >= 1


def test_simulation_is_off_without_the_switch(db: Session, city: City, settings: Settings):
    make_duty_zone(db, city)
    demo.seed_demo_staff(db, city)
    jobs.simulate_job(JobContext(settings=settings, http=None), db, city)
    assert db.scalars(select(Shift).where(Shift.checked_in_at.is_not(None))).first() is None


def test_a_scouts_start_action_is_not_undone_by_the_planner(db: Session, city: City):
    zone = make_duty_zone(db, city)
    scout, other = make_staff(db, city), make_staff(db, city)
    make_shift(db, city, scout, zones=[zone], lon=CENTRE[0] + 0.05)
    make_shift(db, city, other, zones=[zone])
    task = make_task(db, city, scout=scout, zone=zone)
    tasks.act(db, scope=scope_of(scout), task_id=task.id, action=TaskAction.accept)
    planning.replan(db, city=city, at=utcnow())
    assert task.scout_id == scout.id and task.state == TaskState.accepted


def test_the_dispatch_job_replans_only_when_something_changed(
    db: Session, city: City, settings: Settings
):
    zone = make_duty_zone(db, city)
    scout = make_staff(db, city)
    make_shift(db, city, scout, zones=[zone])
    ctx = JobContext(settings=settings, http=None)
    quick = Planner(StraightLineTimes(), PlanOptions(improve_time_s=0.0))
    state = jobs.DispatchState(quick)
    ctx.state[jobs.DISPATCH_STATE] = {city.id: state}
    jobs.dispatch_job(ctx, db, city)
    first = state.planned_at
    jobs.dispatch_job(ctx, db, city)
    assert state.planned_at == first  # nothing changed: no new plan
    task = make_task(db, city, zone=zone)
    jobs.dispatch_job(ctx, db, city)
    assert state.planned_at != first and task.scout_id == scout.id
