"""The phones' sync: each action applies once; a replay gets the first answer; a clash nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.ops import sync
from tartip.ops.enums import SyncKind, SyncStatus, TaskState
from tartip.ops.models import SyncAction as SyncRow
from tartip.ops.models import WorkLog, WorkLogCount
from tartip.ops.schemas import SyncAction, SyncResponse
from tests import builders
from tests.ops.helpers import make_shift, make_staff, make_task, scope_of


def action(sync_kind: SyncKind, task_id: int | None = None, **payload) -> SyncAction:
    return SyncAction(
        id=str(uuid.uuid4()), kind=sync_kind, task_id=task_id, at=utcnow(), payload=payload
    )


def counted(db: Session, task_id: int) -> int:
    stmt = (
        select(func.coalesce(func.sum(WorkLogCount.count), 0))
        .join(WorkLog, WorkLog.id == WorkLogCount.work_log_id)
        .where(WorkLog.task_id == task_id)
    )
    return int(db.scalar(stmt) or 0)


def test_the_same_finish_synced_twice_counts_once(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout)
    me = scope_of(scout)
    start = action(SyncKind.start, task.id)
    finish = action(SyncKind.finish, task.id, counts=[{"company": "jet", "count": 7}], notes="ok")
    first = sync.sync(db, scope=me, actions=[start, finish])
    assert [r.status for r in first] == [SyncStatus.applied, SyncStatus.applied]
    assert first[1].result["total"] == 7
    again = sync.sync(
        db, scope=me, actions=[start, finish]
    )  # the answer was lost: the phone retries
    assert [r.status for r in again] == [SyncStatus.duplicate, SyncStatus.duplicate]
    assert again[1].result["work_log_id"] == first[1].result["work_log_id"]
    assert counted(db, task.id) == 7 and task.state == TaskState.done
    assert db.scalar(select(func.count()).select_from(SyncRow)) == 2


def test_a_replay_with_other_content_is_a_conflict_and_changes_nothing(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.in_progress)
    me = scope_of(scout)
    finish = action(SyncKind.finish, task.id, counts=[{"company": "jet", "count": 3}])
    sync.sync(db, scope=me, actions=[finish])
    forged = finish.model_copy(update={"payload": {"counts": [{"company": "jet", "count": 30}]}})
    [result] = sync.sync(db, scope=me, actions=[forged])
    assert result.status == SyncStatus.conflict
    assert counted(db, task.id) == 3


def test_another_users_action_id_is_a_conflict(db: Session, city: City):
    one, two = make_staff(db, city), make_staff(db, city)
    task = make_task(db, city, scout=one)
    accept = action(SyncKind.accept, task.id)
    sync.sync(db, scope=scope_of(one), actions=[accept])
    [result] = sync.sync(db, scope=scope_of(two), actions=[accept])
    assert result.status == SyncStatus.conflict


def test_a_rejected_action_stays_rejected_and_does_not_stop_the_rest(db: Session, city: City):
    scout = make_staff(db, city)
    done = make_task(db, city, scout=scout, state=TaskState.done)
    open_task = make_task(db, city, scout=scout)
    me = scope_of(scout)
    bad = action(SyncKind.accept, done.id)
    missing = action(SyncKind.finish, open_task.id, counts="not a list")
    good = action(SyncKind.accept, open_task.id)
    results = sync.sync(db, scope=me, actions=[bad, missing, good])
    assert [r.status for r in results] == [
        SyncStatus.rejected,
        SyncStatus.rejected,
        SyncStatus.applied,
    ]
    assert "not possible" in results[0].message and "counts" in results[1].message
    [replayed] = sync.sync(db, scope=me, actions=[bad])
    assert replayed.status == SyncStatus.duplicate and replayed.result["first_status"] == "rejected"
    assert open_task.state == TaskState.accepted


def test_check_in_position_and_damage_through_sync(db: Session, city: City):
    scout = make_staff(db, city)
    shift = make_shift(db, city, scout, checked_in=False)
    jet = builders.company(db, city, "jet")
    feed = builders.make_feed(db, jet)
    builders.make_vehicle(db, feed, lon=76.93, lat=43.25, vehicle_id="JT-4821")
    me = scope_of(scout)
    check_in = action(SyncKind.check_in, lon=76.93, lat=43.25)
    position = action(SyncKind.position, lon=76.931, lat=43.251)
    damage = action(
        SyncKind.damage,
        code="https://jet.kz/scooter/JT-4821",
        kind="broken",
        description="no brake",
    )
    results = sync.sync(db, scope=me, actions=[check_in, position, damage, damage])
    assert [r.status for r in results] == [SyncStatus.applied] * 3 + [SyncStatus.duplicate]
    assert shift.checked_in_at is not None and shift.check_in_lon == 76.93
    assert results[2].result["damage_report_id"] == results[3].result["damage_report_id"]


def test_an_offline_finish_keeps_the_phones_time(db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.in_progress)
    when = utcnow() - timedelta(hours=3)
    finish = SyncAction(
        id=str(uuid.uuid4()),
        kind=SyncKind.finish,
        task_id=task.id,
        at=when,
        payload={"counts": [{"company": "jet", "count": 1}]},
    )
    sync.sync(db, scope=scope_of(scout), actions=[finish])
    log = db.scalars(select(WorkLog).where(WorkLog.task_id == task.id)).one()
    assert abs((log.finished_at - when).total_seconds()) < 1
    far_future = SyncAction(
        id=str(uuid.uuid4()),
        kind=SyncKind.could_not_do,
        task_id=make_task(db, city, scout=scout).id,
        at=utcnow() + timedelta(days=2),
        payload={"reason": "x"},
    )
    sync.sync(db, scope=scope_of(scout), actions=[far_future])


def test_sync_over_the_api_is_idempotent(app_client: TestClient, db: Session, city: City):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.accepted)
    headers = {"Authorization": f"Bearer {builders.token_for(db, scout)}"}
    body = {
        "actions": [
            {
                "id": str(uuid.uuid4()),
                "kind": "finish",
                "task_id": task.id,
                "payload": {"counts": [{"company": "whoosh", "count": 2}]},
            }
        ]
    }
    first = app_client.post("/api/v1/ops/sync", json=body, headers=headers)
    second = app_client.post("/api/v1/ops/sync", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert SyncResponse.model_validate(first.json()).results[0].status == SyncStatus.applied
    assert SyncResponse.model_validate(second.json()).results[0].status == SyncStatus.duplicate
    assert counted(db, task.id) == 2
