"""The life of a task: transitions, invalid ones, assignment, scope and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tartip.ops import service as tasks
from tartip.ops import work
from tartip.ops.enums import TaskAction, TaskKind, TaskState
from tartip.ops.models import TaskAssignment, WorkLog
from tartip.ops.schemas import CompanyCount, TaskCreate, TaskFinish, TaskUpdate
from tests import builders
from tests.ops.helpers import make_staff, make_task, scope_of


def test_the_full_life_of_a_task(db: Session, city: City):
    supervisor = make_staff(db, city, Role.supervisor)
    scout = make_staff(db, city)
    lead, me = scope_of(supervisor), scope_of(scout)
    task = tasks.create(
        db,
        scope=lead,
        data=TaskCreate(kind=TaskKind.tidy_cluster, lon=76.93, lat=43.25, companies=["jet"]),
    )
    assert task.state == TaskState.new
    tasks.assign(db, scope=lead, task_id=task.id, scout_id=scout.id)
    assert (task.state, task.scout_id, task.pinned) == (TaskState.assigned, scout.id, True)
    tasks.act(db, scope=me, task_id=task.id, action=TaskAction.accept)
    assert task.state == TaskState.accepted and task.accepted_at is not None
    tasks.act(db, scope=me, task_id=task.id, action=TaskAction.start)
    assert task.state == TaskState.in_progress
    log = work.finish(
        db,
        scope=me,
        task_id=task.id,
        data=TaskFinish(
            counts=[CompanyCount(company="jet", count=4), CompanyCount(company="whoosh", count=0)]
        ),
    )
    assert task.state == TaskState.done and task.closed_at is not None
    assert log.total == 4 and log.scout_id == scout.id
    actions = list(
        db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "task", AuditEntry.entity_id == str(task.id))
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["task.create", "task.assign", "task.accept", "task.start", "task.finish"]
    assert (
        db.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task.id)).one().by
        == supervisor.username
    )


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (TaskState.new, TaskAction.accept),
        (TaskState.new, TaskAction.start),
        (TaskState.done, TaskAction.start),
        (TaskState.in_progress, TaskAction.accept),
        (TaskState.could_not_do, TaskAction.accept),
        (TaskState.auto_closed, TaskAction.start),
    ],
)
def test_invalid_transitions_are_conflicts(
    db: Session, city: City, state: TaskState, action: TaskAction
):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=state)
    with pytest.raises(Conflict):
        tasks.act(db, scope=scope_of(scout), task_id=task.id, action=action)
    assert task.state == state


def test_finishing_twice_or_before_accepting_is_refused(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout)
    data = TaskFinish(counts=[CompanyCount(company="jet", count=1)])
    with pytest.raises(Conflict):
        work.finish(db, scope=scope_of(scout), task_id=task.id, data=data)
    tasks.act(db, scope=scope_of(scout), task_id=task.id, action=TaskAction.start)
    work.finish(db, scope=scope_of(scout), task_id=task.id, data=data)
    with pytest.raises(Conflict):
        work.finish(db, scope=scope_of(scout), task_id=task.id, data=data)
    assert len(list(db.scalars(select(WorkLog).where(WorkLog.task_id == task.id)))) == 1


def test_could_not_do_needs_a_reason(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout)
    with pytest.raises(InvalidInput):
        tasks.act(
            db, scope=scope_of(scout), task_id=task.id, action=TaskAction.could_not_do, reason=" "
        )
    tasks.act(
        db,
        scope=scope_of(scout),
        task_id=task.id,
        action=TaskAction.could_not_do,
        reason="fenced off",
    )
    assert (task.state, task.outcome_reason) == (TaskState.could_not_do, "fenced off")


def test_unknown_companies_in_counts_are_refused(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.in_progress)
    with pytest.raises(InvalidInput) as caught:
        work.finish(
            db,
            scope=scope_of(scout),
            task_id=task.id,
            data=TaskFinish(counts=[CompanyCount(company="bolt", count=2)]),
        )
    assert caught.value.problems[0].where == "counts.0.company"


def test_a_scout_sees_only_their_own_tasks(db: Session, city: City):
    mine, theirs = make_staff(db, city), make_staff(db, city)
    own = make_task(db, city, scout=mine)
    other = make_task(db, city, scout=theirs)
    pool = make_task(db, city)
    me = scope_of(mine)
    assert tasks.get(db, scope=me, task_id=other.id) is None
    assert tasks.get(db, scope=me, task_id=pool.id) is None
    with pytest.raises(NotFound):
        tasks.act(db, scope=me, task_id=other.id, action=TaskAction.accept)
    found, total = tasks.list_tasks(db, scope=me, filters=tasks.TaskFilter())
    assert [t.id for t in found] == [own.id] and total == 1


def test_a_company_rep_sees_tasks_concerning_their_company_and_may_not_change_them(
    db: Session, city: City
):
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    rep = make_staff(db, city, Role.company_rep, company_slug="jet")
    ours = make_task(db, city, company_ids=[jet.id, whoosh.id])
    theirs = make_task(db, city, company_ids=[whoosh.id])
    found, _ = tasks.list_tasks(db, scope=scope_of(rep), filters=tasks.TaskFilter())
    assert [t.id for t in found] == [ours.id]
    assert tasks.get(db, scope=scope_of(rep), task_id=theirs.id) is None
    with pytest.raises(Forbidden):
        tasks.assign(db, scope=scope_of(rep), task_id=ours.id, scout_id=None)


def test_a_city_viewer_sees_no_tasks(db: Session, city: City):
    viewer = make_staff(db, city, Role.city_viewer)
    make_task(db, city)
    assert tasks.list_tasks(db, scope=scope_of(viewer), filters=tasks.TaskFilter())[1] == 0


def test_reassigning_moves_the_task_and_keeps_the_history(db: Session, city: City):
    lead = scope_of(make_staff(db, city, Role.supervisor))
    first, second = make_staff(db, city), make_staff(db, city)
    task = make_task(db, city, scout=first, state=TaskState.accepted)
    tasks.assign(db, scope=lead, task_id=task.id, scout_id=second.id)
    assert (task.scout_id, task.state, task.accepted_at) == (second.id, TaskState.assigned, None)
    tasks.assign(db, scope=lead, task_id=task.id, scout_id=None)
    assert (task.scout_id, task.state, task.pinned) == (None, TaskState.new, False)
    assert (
        len(list(db.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task.id)))) == 2
    )
    with pytest.raises(InvalidInput):
        tasks.assign(
            db, scope=lead, task_id=task.id, scout_id=make_staff(db, city, Role.city_viewer).id
        )


def test_work_in_progress_cannot_be_reassigned(db: Session, city: City):
    lead = scope_of(make_staff(db, city, Role.supervisor))
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.in_progress)
    with pytest.raises(Conflict):
        tasks.assign(db, scope=lead, task_id=task.id, scout_id=make_staff(db, city).id)


def test_supervisors_update_and_cancel(db: Session, city: City):
    lead = scope_of(make_staff(db, city, Role.supervisor))
    task = make_task(db, city)
    tasks.update(db, scope=lead, task_id=task.id, data=TaskUpdate(priority=5, notes="urgent"))
    assert (task.priority, task.notes) == (5, "urgent")
    tasks.act(db, scope=lead, task_id=task.id, action=TaskAction.cancel, reason="duplicate")
    assert task.state == TaskState.cancelled
    with pytest.raises(Conflict):
        tasks.update(db, scope=lead, task_id=task.id, data=TaskUpdate(priority=1))
    scout = make_staff(db, city)
    with pytest.raises(Forbidden):
        tasks.act(
            db,
            scope=scope_of(scout),
            task_id=make_task(db, city, scout=scout).id,
            action=TaskAction.cancel,
            reason="x",
        )


def test_my_tasks_come_in_route_order_with_begun_work_first(db: Session, city: City):
    scout = make_staff(db, city)
    later = make_task(db, city, scout=scout)
    later.route_seq = 2
    sooner = make_task(db, city, scout=scout)
    sooner.route_seq = 1
    begun = make_task(db, city, scout=scout, state=TaskState.in_progress)
    begun.route_seq = 3
    make_task(db, city, scout=scout, state=TaskState.done)
    assert [t.id for t in tasks.my_tasks(db, scope=scope_of(scout))] == [
        begun.id,
        sooner.id,
        later.id,
    ]
