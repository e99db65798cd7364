"""Routing: a scout's task through field operations and back to a resolved complaint with an
answer (and an e-mail); a task that could not be done returns to staff; re-opening; the case for
the companies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import matches, routing
from tartip.complaints import service as complaints
from tartip.complaints.enums import ComplaintAction, ComplaintCategory, ComplaintStatus
from tartip.complaints.schemas import RouteRequest, StatusChange
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput
from tartip.damage.models import DamageCase
from tartip.notify import service as notify
from tartip.ops import service as tasks_service
from tartip.ops import work
from tartip.ops.enums import TaskAction, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Task
from tartip.ops.schemas import CompanyCount, TaskFinish
from tests import builders
from tests.complaints.helpers import CENTRE, config, file, scope_of, staff_scope

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])


@pytest.fixture
def lead(db: Session, city: City):
    user = builders.make_user(db, city, username="lead-c", role=Role.supervisor)
    return scope_of(user)


@pytest.fixture
def scout(db: Session, city: City):
    return builders.make_user(db, city, username="scout-c", role=Role.scout)


def routed_task(db: Session, city: City, lead, *, email: str = "a@example.kz") -> tuple:
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, jet, vehicle_id="jet-near", lon=NEAR[0], lat=NEAR[1])
    complaint = file(
        db, city, email=email, consent=True, description="Самокаты на тротуаре у входа"
    )
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    task = db.get(Task, complaint.task_id)
    assert task is not None
    return complaint, task


def test_a_task_done_resolves_the_complaint_with_an_answer_and_an_email(
    db: Session, city: City, lead, scout
):
    complaint, task = routed_task(db, city, lead)
    assert complaint.status == ComplaintStatus.in_work
    assert (task.origin, task.source_ref, task.kind) == (
        TaskOrigin.complaint, complaint.reference, TaskKind.move_to_parking,
    )  # fmt: skip
    # A scout is sent within the hour (as to a badly parked vehicle the detector found), well
    # before the complaint's own due time.
    assert complaint.due_at > task.created_at + timedelta(hours=1)
    assert task.deadline == task.created_at + timedelta(hours=1)
    assert task.company_ids == [builders.company(db, city, "jet").id]
    assert "a@example.kz" not in task.notes and "Самокаты" in task.notes
    tasks_service.assign(db, scope=lead, task_id=task.id, scout_id=scout.id)
    tasks_service.act(db, scope=scope_of(scout), task_id=task.id, action=TaskAction.start)
    work.finish(
        db, scope=scope_of(scout), task_id=task.id,
        data=TaskFinish(counts=[CompanyCount(company="jet", count=3)], notes="Убрал с тротуара"),
    )  # fmt: skip
    assert routing.follow_tasks(db, city=city, config=config(), at=utcnow()) == 1
    assert complaint.status == ComplaintStatus.resolved
    assert "Убрал с тротуара" in complaint.answer and "3" in complaint.answer
    assert complaint.closed_at is not None
    mails = notify.list_emails(db, city_id=city.id, ref=complaint.reference)
    kinds = sorted(m.kind for m in mails)
    assert kinds == ["complaint.answer", "complaint.receipt"]
    answer = next(m for m in mails if m.kind == "complaint.answer")
    assert complaint.reference in answer.subject and "Убрал с тротуара" in answer.body
    assert "https://tartip.kz/complaints/status/" + complaint.reference in answer.body
    # Nothing more to follow.
    assert routing.follow_tasks(db, city=city, config=config(), at=utcnow()) == 0


def test_a_task_that_could_not_be_done_returns_to_staff(db: Session, city: City, lead, scout):
    complaint, task = routed_task(db, city, lead)
    tasks_service.assign(db, scope=lead, task_id=task.id, scout_id=scout.id)
    tasks_service.act(
        db, scope=scope_of(scout), task_id=task.id, action=TaskAction.could_not_do,
        reason="Самокатов на месте нет",
    )  # fmt: skip
    assert routing.follow_tasks(db, city=city, config=config(), at=utcnow()) == 1
    assert complaint.status == ComplaintStatus.received and complaint.task_id is None
    steps = complaints.history(db, complaint_id=complaint.id)
    assert steps[-1].action == ComplaintAction.hand_back
    assert "Самокатов на месте нет" in steps[-1].note
    # Staff may send it again: a new task.
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    assert complaint.task_id is not None and complaint.task_id != task.id


def test_reopen_keeps_every_step(db: Session, city: City, lead):
    complaint = file(db, city, category=ComplaintCategory.dangerous_riding)
    change = complaints.change_status
    for action, text in [
        (ComplaintAction.take, ""),
        (ComplaintAction.resolve, "Компания заблокировала аккаунт"),
        (ComplaintAction.reopen, "Снова катаются вдвоём"),
        (ComplaintAction.reject, "Повтор жалобы"),
    ]:
        change(
            db, scope=lead, reference=complaint.reference,
            data=StatusChange(action=action, text=text), config=config(),
        )  # fmt: skip
    assert complaint.status == ComplaintStatus.rejected and complaint.reopen_count == 1
    assert complaint.reject_reason == "Повтор жалобы" and complaint.answer == ""
    path = [(s.from_status, s.to_status) for s in complaints.history(db, complaint_id=complaint.id)]
    S = ComplaintStatus
    assert path == [
        (None, S.received), (S.received, S.in_work), (S.in_work, S.resolved),
        (S.resolved, S.in_work), (S.in_work, S.rejected),
    ]  # fmt: skip
    with pytest.raises(Conflict):
        change(
            db, scope=lead, reference=complaint.reference,
            data=StatusChange(action=ComplaintAction.resolve, text="x"), config=config(),
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        change(
            db, scope=lead, reference=complaint.reference,
            data=StatusChange(action=ComplaintAction.reopen, text=" "), config=config(),
        )  # fmt: skip


def test_riding_complaints_go_to_the_companies_not_to_a_scout(db: Session, city: City, lead):
    complaint = file(db, city, category=ComplaintCategory.minors_riding)
    with pytest.raises(InvalidInput):
        routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    with pytest.raises(InvalidInput):  # no company concerned yet
        routing.route(
            db, scope=lead, reference=complaint.reference, data=RouteRequest(companies=True)
        )
    matches.decide_company(
        db, scope=lead, reference=complaint.reference, action="add", company="whoosh"
    )
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(companies=True))
    links = matches.companies_of(db, complaint_id=complaint.id)
    assert [link.routed_at is not None for link in links] == [True]
    assert complaint.status == ComplaintStatus.in_work


def test_resolving_by_hand_withdraws_the_open_task(db: Session, city: City, lead):
    complaint, task = routed_task(db, city, lead, email="")
    complaints.change_status(
        db, scope=lead, reference=complaint.reference,
        data=StatusChange(action=ComplaintAction.resolve, text="Убрано сотрудником"),
        config=config(),
    )  # fmt: skip
    assert task.state == TaskState.cancelled
    # No address given: nothing to send.
    assert notify.list_emails(db, city_id=city.id, ref=complaint.reference) == []
    assert routing.follow_tasks(db, city=city, config=config(), at=utcnow() + timedelta(1)) == 0


def test_a_government_complaint_is_more_urgent(db: Session, city: City, lead):
    body = builders.make_user(db, city, username="akimat", role=Role.government)
    citizen = file(db, city)
    official = file(db, city, scope=scope_of(body))
    assert official.due_at - official.received_at < citizen.due_at - citizen.received_at
    routing.route(db, scope=lead, reference=official.reference, data=RouteRequest(task=True))
    task = db.get(Task, official.task_id)
    assert task is not None and task.priority == 5
    assert staff_scope(city).role is Role.supervisor


def test_a_damaged_vehicle_goes_to_the_damage_desk(db: Session, city: City, lead):
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, jet, vehicle_id="JET-BROKEN", lon=NEAR[0], lat=NEAR[1])
    builders.make_vehicle(db, jet, vehicle_id="JET-FINE", lon=NEAR[0], lat=NEAR[1] + 0.0001)
    complaint = file(
        db, city, category=ComplaintCategory.damaged_vehicle, email="x@example.kz",
        consent=True, description="Сломан руль",
    )  # fmt: skip
    with pytest.raises(InvalidInput):  # two candidates: staff must say which
        routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(damage=True))
    matches.decide_vehicle(
        db, scope=lead, reference=complaint.reference, action="confirm", company="jet",
        vehicle_id="JET-BROKEN",
    )  # fmt: skip
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(damage=True))
    assert complaint.damage_ref is not None and complaint.damage_ref.startswith("DH-")
    assert complaint.status == ComplaintStatus.in_work
    case = db.scalars(select(DamageCase)).one()
    assert case.company_id == jet.company_id and "x@example.kz" not in (case.description or "")
    riding = file(db, city, category=ComplaintCategory.two_riders)
    with pytest.raises(InvalidInput):
        routing.route(db, scope=lead, reference=riding.reference, data=RouteRequest(damage=True))
