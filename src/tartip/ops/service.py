"""Use cases of tasks: read them in the caller's scope, make them, move them through their life.

A task's life is a table (``TRANSITIONS``): each action is allowed from some states and leads to
one. People's changes are written to the audit trail; the jobs' (auto-close, the planner's
assignments) are not, but every assignment, by whomever, leaves a ``TaskAssignment`` row.

Who sees what: scouts and technicians see only the tasks assigned to them (another's task is
``NotFound``); supervisors and admins see every task of the city; a company representative sees the
tasks that concern their company, read-only; a city viewer sees none (they read counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, false, func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from tartip.ops.enums import OPEN_STATES, TaskAction, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Task, TaskAssignment
from tartip.ops.schemas import TaskCreate, TaskUpdate

LEADS = (Role.supervisor,)  # and admins
FIELD_ROLES = frozenset({Role.scout, Role.technician})
S = TaskState
TRANSITIONS: dict[TaskAction, tuple[frozenset[TaskState], TaskState]] = {
    TaskAction.assign: (frozenset({S.new, S.assigned, S.accepted}), S.assigned),
    TaskAction.unassign: (frozenset({S.assigned, S.accepted}), S.new),
    TaskAction.accept: (frozenset({S.assigned}), S.accepted),
    # Starting says yes too: a scout who is already there need not accept first.
    TaskAction.start: (frozenset({S.assigned, S.accepted}), S.in_progress),
    TaskAction.finish: (frozenset({S.accepted, S.in_progress}), S.done),
    TaskAction.could_not_do: (frozenset({S.assigned, S.accepted, S.in_progress}), S.could_not_do),
    TaskAction.cancel: (frozenset(OPEN_STATES), S.cancelled),
    # Only before anyone started: a scout at work finishes and proves it.
    TaskAction.auto_close: (frozenset({S.new, S.assigned, S.accepted}), S.auto_closed),
}
# Client clocks (offline phones) are trusted within these bounds, else the server's time is used.
CLIENT_CLOCK_PAST = timedelta(days=7)
CLIENT_CLOCK_FUTURE = timedelta(minutes=5)


@dataclass(frozen=True)
class WorkRule:
    """How a kind of problem (a violation, a complaint) becomes a task: its kind, priority and
    time to do it."""

    kind: TaskKind
    priority: int
    within: timedelta
    title: str


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a list covers; empty tuples mean "any"."""

    states: tuple[TaskState, ...] = ()
    kinds: tuple[TaskKind, ...] = ()
    scout_id: int | None = None
    zone_id: int | None = None
    companies: tuple[str, ...] = ()
    open_only: bool = False


def is_field(scope: Scope) -> bool:
    """Whether the caller works tasks (and so sees only their own)."""
    return scope.role in FIELD_ROLES


def moment(at: datetime | None, *, now: datetime | None = None) -> datetime:
    """When an action happened: the phone's time if plausible, else now."""
    now = now or utcnow()
    if at is None or at.tzinfo is None:
        return now
    if now - CLIENT_CLOCK_PAST <= at <= now + CLIENT_CLOCK_FUTURE:
        return min(at, now)
    return now


def scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """What the caller may see of the task table."""
    clauses: list[ColumnElement[bool]] = [Task.city_id == scope.city_id]
    if scope.role is Role.city_viewer:
        clauses.append(false())
    elif is_field(scope):
        clauses.append(Task.scout_id == scope.user_id)
    elif scope.company_id is not None:
        # JSON arrays differ by dialect; a LIKE on the text form works on both.
        clauses.append(_concerns(scope.company_id))
    return clauses


def _concerns(company_id: int) -> ColumnElement[bool]:
    text = func.replace(cast(Task.company_ids, Text()), " ", "")
    return (
        (text == f"[{company_id}]")
        | text.like(f"[{company_id},%")
        | text.like(f"%,{company_id},%")
        | text.like(f"%,{company_id}]")
    )


def get(db: Session, *, scope: Scope, task_id: int) -> Task | None:
    """The task with this id, if the caller may see it."""
    stmt = select(Task).where(Task.id == task_id, *scope_clauses(scope))
    return db.scalars(stmt).first()


def get_or_raise(db: Session, *, scope: Scope, task_id: int) -> Task:
    """The task with this id, or ``NotFound`` (also for another scout's task)."""
    task = get(db, scope=scope, task_id=task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _filter_clauses(db: Session, scope: Scope, filters: TaskFilter) -> list[ColumnElement[bool]]:
    clauses = scope_clauses(scope)
    if filters.states:
        clauses.append(Task.state.in_([s.value for s in filters.states]))
    if filters.open_only:
        clauses.append(Task.state.in_([s.value for s in OPEN_STATES]))
    if filters.kinds:
        clauses.append(Task.kind.in_([k.value for k in filters.kinds]))
    if filters.scout_id is not None:
        clauses.append(Task.scout_id == filters.scout_id)
    if filters.zone_id is not None:
        clauses.append(Task.zone_id == filters.zone_id)
    if filters.companies:
        ids = [
            c.id
            for c in cities_service.list_companies(db, city_id=scope.city_id)
            if c.slug in filters.companies
        ]
        visible = scope.visible_company_ids(ids)
        either = [_concerns(i) for i in (visible or [])]
        clauses.append(_any(either))
    return clauses


def _any(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not clauses:
        return false()
    combined = clauses[0]
    for clause in clauses[1:]:
        combined = combined | clause
    return combined


def list_tasks(
    db: Session, *, scope: Scope, filters: TaskFilter, offset: int = 0, limit: int = 100
) -> tuple[list[Task], int]:
    """Tasks in the caller's scope matching the filters, most urgent first, with the total."""
    clauses = _filter_clauses(db, scope, filters)
    total = db.scalar(select(func.count()).select_from(Task).where(*clauses)) or 0
    stmt = (
        select(Task)
        .where(*clauses)
        .order_by(Task.priority.desc(), Task.created_at, Task.id)
        .offset(offset)
        .limit(limit)
    )
    return list(db.scalars(stmt)), int(total)


def my_tasks(db: Session, *, scope: Scope) -> list[Task]:
    """The caller's open tasks in route order (work already begun first)."""
    if scope.user_id is None:
        return []
    stmt = select(Task).where(
        Task.city_id == scope.city_id,
        Task.scout_id == scope.user_id,
        Task.state.in_([s.value for s in OPEN_STATES]),
    )
    begun = {TaskState.in_progress: 0, TaskState.accepted: 1, TaskState.assigned: 2}
    return sorted(
        db.scalars(stmt),
        key=lambda t: (begun.get(TaskState(t.state), 3), t.route_seq or 10_000, t.id),
    )


def summary(task: Task) -> dict[str, Any]:
    """A task's state for the audit trail."""
    return {
        "state": str(task.state),
        "scout_id": task.scout_id,
        "pinned": task.pinned,
        "priority": task.priority,
        "deadline": task.deadline.isoformat() if task.deadline else None,
    }


def _audit(db: Session, *, scope: Scope, task: Task, action: str, before: dict[str, Any]) -> None:
    audit.record(
        db,
        actor=scope.actor,
        action=f"task.{action}",
        entity_type="task",
        entity_id=task.id,
        city_id=task.city_id,
        before=before,
        after=summary(task),
    )


def _check_scout(db: Session, *, scope: Scope, scout_id: int) -> User:
    user = db.get(User, scout_id)
    if (
        user is None
        or user.city_id != scope.city_id
        or Role(user.role) not in FIELD_ROLES
        or not user.is_active
    ):
        raise InvalidInput(
            "no such scout", problems=[Problem("scout_id", "not an active scout of this city")]
        )
    return user


def create(db: Session, *, scope: Scope, data: TaskCreate) -> Task:
    """Make a task by hand (supervisors); assigned and pinned at once when a scout is given."""
    scope.require(*LEADS)
    by_slug = {c.slug: c.id for c in cities_service.list_companies(db, city_id=scope.city_id)}
    unknown = [s for s in data.companies if s not in by_slug]
    if unknown:
        raise InvalidInput(
            "unknown companies", problems=[Problem("companies", f"unknown: {unknown}")]
        )
    now = utcnow()
    task = Task(
        city_id=scope.city_id,
        kind=data.kind,
        origin=TaskOrigin.manual,
        state=TaskState.new,
        title=data.title.strip(),
        notes=data.notes,
        priority=data.priority,
        lon=data.lon,
        lat=data.lat,
        zone_id=data.zone_id,
        deadline=data.deadline,
        company_ids=sorted({by_slug[s] for s in data.companies}),
        vehicles=[],
        created_by=scope.username,
        created_at=now,
        updated_at=now,
    )
    db.add(task)
    db.flush()
    _audit(db, scope=scope, task=task, action="create", before={})
    if data.scout_id is not None:
        assign(db, scope=scope, task_id=task.id, scout_id=data.scout_id, pinned=True)
    return task


def update(db: Session, *, scope: Scope, task_id: int, data: TaskUpdate) -> Task:
    """Change an open task's text, priority, deadline or place (supervisors)."""
    scope.require(*LEADS)
    task = get_or_raise(db, scope=scope, task_id=task_id)
    if task.state not in OPEN_STATES:
        raise Conflict(f"task {task.id} is {task.state}; a closed task cannot be changed")
    before = summary(task)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(task, name, value)
    task.updated_at = utcnow()
    _audit(db, scope=scope, task=task, action="update", before=before)
    return task


def _step(task: Task, action: TaskAction) -> TaskState:
    allowed, target = TRANSITIONS[action]
    if TaskState(task.state) not in allowed:
        raise Conflict(f"task {task.id} is {task.state}; '{action.value}' is not possible now")
    return target


def record_assignment(
    db: Session,
    *,
    task: Task,
    scout_id: int | None,
    by: str,
    pinned: bool,
    explanation: str,
    at: datetime,
) -> None:
    """Point ``task`` at ``scout_id`` and keep the assignment (and why) in its history."""
    task.state = _step(task, TaskAction.assign if scout_id else TaskAction.unassign)
    task.scout_id = scout_id
    task.pinned = pinned and scout_id is not None
    task.explanation = explanation
    task.assigned_at = at if scout_id else None
    task.accepted_at = None
    task.updated_at = at
    if scout_id is None:
        task.route_seq, task.eta = None, None
    db.add(
        TaskAssignment(
            city_id=task.city_id,
            task_id=task.id,
            scout_id=scout_id,
            at=at,
            by=by,
            pinned=task.pinned,
            explanation=explanation,
        )
    )


def assign(
    db: Session, *, scope: Scope, task_id: int, scout_id: int | None, pinned: bool = True
) -> Task:
    """A supervisor's (re)assignment; pinned ones the planner keeps. ``None`` unassigns."""
    scope.require(*LEADS)
    task = get_or_raise(db, scope=scope, task_id=task_id)
    name = None
    if scout_id is not None:
        user = _check_scout(db, scope=scope, scout_id=scout_id)
        name = user.full_name or user.username
    before = summary(task)
    why = f"assigned by {scope.username}" if name else f"returned to the pool by {scope.username}"
    record_assignment(
        db, task=task, scout_id=scout_id, by=scope.username, pinned=pinned, explanation=why,
        at=utcnow(),
    )  # fmt: skip
    db.flush()
    _audit(db, scope=scope, task=task, action="assign", before=before)
    return task


def workable(db: Session, *, scope: Scope, task_id: int) -> Task:
    """A task the caller may work: their own (field staff), or any (supervisors)."""
    task = get_or_raise(db, scope=scope, task_id=task_id)
    if is_field(scope):
        return task  # the scope already limits field staff to their own tasks
    if scope.role in (Role.supervisor, Role.admin):
        return task
    raise Forbidden("only the assigned scout or a supervisor may do this")


def act(
    db: Session,
    *,
    scope: Scope,
    task_id: int,
    action: TaskAction,
    at: datetime | None = None,
    reason: str = "",
) -> Task:
    """Accept, start, give up (could not do) or cancel a task, as the caller."""
    if action not in (
        TaskAction.accept, TaskAction.start, TaskAction.could_not_do, TaskAction.cancel
    ):  # fmt: skip
        raise InvalidInput(f"'{action}' is not done this way")
    if action is TaskAction.cancel:
        scope.require(*LEADS)
    if action in (TaskAction.could_not_do, TaskAction.cancel) and not reason.strip():
        raise InvalidInput("say why", problems=[Problem("reason", "required")])
    task = workable(db, scope=scope, task_id=task_id)
    before = summary(task)
    task.state = _step(task, action)
    when = moment(at)
    task.updated_at = when
    if action is TaskAction.accept:
        task.accepted_at = when
    elif action is TaskAction.start:
        task.accepted_at = task.accepted_at or when
        task.started_at = when
    else:
        task.outcome_reason = reason.strip()
        task.closed_at = when
    _audit(db, scope=scope, task=task, action=action.value, before=before)
    return task


def close_done(task: Task, *, at: datetime) -> None:
    """Mark a task done (its work log is written by ``work.finish``)."""
    task.state = _step(task, TaskAction.finish)
    task.closed_at = at
    task.updated_at = at
    task.started_at = task.started_at or at


def auto_close(task: Task, *, at: datetime, reason: str) -> bool:
    """Close a task whose violation cleared before work began; False when work already began."""
    if TaskState(task.state) not in TRANSITIONS[TaskAction.auto_close][0]:
        return False
    task.state = TaskState.auto_closed
    task.outcome_reason = reason
    task.closed_at = at
    task.updated_at = at
    return True


def open_tasks(db: Session, *, city_id: int, states: Sequence[TaskState]) -> list[Task]:
    """A city's tasks in these states (for jobs)."""
    stmt = select(Task).where(Task.city_id == city_id, Task.state.in_([s.value for s in states]))
    return list(db.scalars(stmt.order_by(Task.id)))


def routes(db: Session, *, city_id: int, user_ids: list[int]) -> dict[int, list[Task]]:
    """Each person's open tasks in route order."""
    if not user_ids:
        return {}
    stmt = select(Task).where(
        Task.city_id == city_id,
        Task.scout_id.in_(user_ids),
        Task.state.in_([s.value for s in OPEN_STATES]),
    )
    out: dict[int, list[Task]] = {}
    for task in sorted(db.scalars(stmt), key=lambda t: (t.route_seq or 10_000, t.id)):
        if task.scout_id is not None:
            out.setdefault(task.scout_id, []).append(task)
    return out
