"""The phones' sync: actions queued offline, replayed in order, each applied at most once.

Each action carries the UUID the phone gave it. The ``SyncAction`` row claiming that UUID is
written in the same savepoint as the action's effect, under a unique constraint: if two replays
race, one of them fails on the constraint and its effect is rolled back with it. A replay of an
applied (or rejected) action gets the first answer again (``duplicate``); the same UUID with other
content is refused (``conflict``) and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.core.errors import Forbidden, InvalidInput, TartipError
from tartip.ops import service as tasks_service
from tartip.ops import staff, work
from tartip.ops.enums import SyncKind, SyncStatus, TaskAction
from tartip.ops.models import SyncAction as SyncRow
from tartip.ops.schemas import CheckIn, DamageCreate, SyncAction, SyncResult, TaskFinish

Handler = Callable[[Session, Scope, SyncAction], dict[str, Any]]


def digest(action: SyncAction) -> str:
    """A fingerprint of an action's content (not its id)."""
    body = action.model_dump(mode="json", exclude={"id"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _task_id(action: SyncAction) -> int:
    if action.task_id is None:
        raise InvalidInput(f"a '{action.kind}' action needs a task_id")
    return action.task_id


def _act(task_action: TaskAction) -> Handler:
    def handle(db: Session, scope: Scope, action: SyncAction) -> dict[str, Any]:
        task = tasks_service.act(
            db, scope=scope, task_id=_task_id(action), action=task_action, at=action.at,
            reason=str(action.payload.get("reason", "")),
        )  # fmt: skip
        return {"task_id": task.id, "state": str(task.state)}

    return handle


def _finish(db: Session, scope: Scope, action: SyncAction) -> dict[str, Any]:
    data = TaskFinish.model_validate({**action.payload, "at": action.at})
    log = work.finish(db, scope=scope, task_id=_task_id(action), data=data)
    return {"task_id": log.task_id, "state": "done", "work_log_id": log.id, "total": log.total}


def _shift(check: Callable[..., Any]) -> Handler:
    def handle(db: Session, scope: Scope, action: SyncAction) -> dict[str, Any]:
        data = CheckIn.model_validate({**action.payload, "at": action.at})
        shift = check(db, scope=scope, data=data)
        return {"shift_id": shift.id}

    return handle


def _position(db: Session, scope: Scope, action: SyncAction) -> dict[str, Any]:
    staff.report_position(
        db, scope=scope, data=CheckIn.model_validate({**action.payload, "at": action.at})
    )
    return {}


def _damage(db: Session, scope: Scope, action: SyncAction) -> dict[str, Any]:
    data = DamageCreate.model_validate({**action.payload, "client_id": action.id})
    report = work.report_damage(db, scope=scope, data=data)
    return {"damage_report_id": report.id}


HANDLERS: dict[SyncKind, Handler] = {
    SyncKind.accept: _act(TaskAction.accept),
    SyncKind.start: _act(TaskAction.start),
    SyncKind.could_not_do: _act(TaskAction.could_not_do),
    SyncKind.finish: _finish,
    SyncKind.check_in: _shift(staff.check_in),
    SyncKind.check_out: _shift(staff.check_out),
    SyncKind.position: _position,
    SyncKind.damage: _damage,
}


def _earlier(
    db: Session, *, scope: Scope, action: SyncAction, fingerprint: str
) -> SyncResult | None:
    row = db.scalars(select(SyncRow).where(SyncRow.client_id == action.id)).first()
    if row is None:
        return None
    if row.user_id != scope.user_id or row.digest != fingerprint:
        return SyncResult(
            id=action.id,
            status=SyncStatus.conflict,
            message="this action id was already used for another action",
        )
    return SyncResult(
        id=action.id,
        status=SyncStatus.duplicate,
        message=str(row.result.get("message", "")),
        result={**row.result, "first_status": row.status},
    )


def _row(scope: Scope, action: SyncAction, fingerprint: str, status: SyncStatus) -> SyncRow:
    return SyncRow(
        city_id=scope.city_id, client_id=action.id, user_id=scope.user_id,
        kind=action.kind.value, digest=fingerprint, status=status.value, result={},
    )  # fmt: skip


def _reject(
    db: Session, *, scope: Scope, action: SyncAction, fingerprint: str, message: str
) -> SyncResult:
    try:
        with db.begin_nested():
            row = _row(scope, action, fingerprint, SyncStatus.rejected)
            row.result = {"message": message}
            db.add(row)
            db.flush()
    except IntegrityError:
        return _earlier(db, scope=scope, action=action, fingerprint=fingerprint) or SyncResult(
            id=action.id, status=SyncStatus.rejected, message=message
        )
    return SyncResult(id=action.id, status=SyncStatus.rejected, message=message)


def apply_one(db: Session, *, scope: Scope, action: SyncAction) -> SyncResult:
    """Apply one queued action once; a replay returns the first answer."""
    fingerprint = digest(action)
    seen = _earlier(db, scope=scope, action=action, fingerprint=fingerprint)
    if seen is not None:
        return seen
    try:
        with db.begin_nested():
            row = _row(scope, action, fingerprint, SyncStatus.applied)
            db.add(row)
            db.flush()  # claims the id first: a racing replay stops here
            row.result = HANDLERS[action.kind](db, scope, action)
            db.flush()
    except TartipError as exc:
        return _reject(db, scope=scope, action=action, fingerprint=fingerprint, message=exc.message)
    except ValidationError as exc:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _reject(db, scope=scope, action=action, fingerprint=fingerprint, message=message)
    except IntegrityError:
        seen = _earlier(db, scope=scope, action=action, fingerprint=fingerprint)
        if seen is not None:
            return seen
        return _reject(
            db,
            scope=scope,
            action=action,
            fingerprint=fingerprint,
            message="the action clashes with stored data",
        )
    return SyncResult(id=action.id, status=SyncStatus.applied, result=row.result)


def sync(db: Session, *, scope: Scope, actions: list[SyncAction]) -> list[SyncResult]:
    """Apply a phone's queued actions in order; one failing does not stop the rest."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff sync field actions")
    return [apply_one(db, scope=scope, action=a) for a in actions]
