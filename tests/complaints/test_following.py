"""A complaint sent to the damage desk follows its handover: collected or resolved by the company,
it is resolved with a translated answer (e-mailed like every answer); withdrawn, it returns to
staff. A re-opened complaint is not closed again by a task or a handover that is already over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import auto, following, messages, policy, routing
from tartip.complaints import service as complaints
from tartip.complaints.enums import ComplaintAction, ComplaintCategory, ComplaintStatus
from tartip.complaints.models import Complaint, ComplaintComment
from tartip.complaints.schemas import ComplaintCreate, RouteRequest, StatusChange
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict
from tartip.core.i18n import catalogue
from tartip.core.jobs import REGISTRY, JobContext
from tartip.damage import service as damage
from tartip.damage.enums import CollectedVia, HandoverAction
from tartip.damage.models import Handover
from tartip.notify import service as notify
from tartip.ops import service as tasks_service
from tartip.ops import work
from tartip.ops.enums import TaskAction, TaskState
from tartip.ops.models import Task
from tartip.ops.schemas import CompanyCount, TaskFinish
from tartip.settings import Settings
from tests import builders
from tests.complaints.helpers import CENTRE, config, scope_of
from tests.damage.helpers import account

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])
# 05:30 UTC is 10:30 in Almaty (UTC+5).
COLLECTED_AT = datetime(2026, 6, 10, 5, 30, tzinfo=UTC)


@pytest.fixture
def lead(db: Session, city: City):
    return scope_of(account(db, city, username="fh-lead", role=Role.supervisor))


@pytest.fixture
def jet_rep(db: Session, city: City):
    return scope_of(account(db, city, username="fh-jet", role=Role.company_rep, company="jet"))


def handed_over(db: Session, city: City, *, locale: str = "ru") -> tuple[Complaint, Handover]:
    """A damaged Jet scooter reported by a citizen who wants an answer, routed automatically."""
    policy.ensure(db, city_id=city.id, auto_route=True, by="test")
    feed = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, feed, vehicle_id="JET-WRECK", lon=NEAR[0], lat=NEAR[1])
    data = ComplaintCreate(
        category=ComplaintCategory.damaged_vehicle, lon=CENTRE[0], lat=CENTRE[1],
        description="Самокат без колеса", contact_email="dana@example.kz",
        contact_consent=True, locale=locale,
    )  # fmt: skip
    complaint = auto.receive(db, scope=None, city=city, data=data, config=config())
    handover = db.scalars(select(Handover).where(Handover.reference == complaint.damage_ref)).one()
    return complaint, handover


def follow(db: Session, city: City) -> int:
    return following.follow_handovers(db, city=city, config=config(), at=utcnow())


def test_a_collected_vehicle_resolves_the_complaint_with_an_answer_and_an_email(
    db: Session, city: City, jet_rep
):
    complaint, handover = handed_over(db, city)
    assert complaint.status == ComplaintStatus.in_work
    assert follow(db, city) == 0  # handed over, not yet collected
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.acknowledge,
        via=CollectedVia.api,
    )  # fmt: skip
    assert follow(db, city) == 0  # acknowledged is not collected
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.collect,
        via=CollectedVia.api, now=COLLECTED_AT,
    )  # fmt: skip
    assert follow(db, city) == 1
    assert complaint.status == ComplaintStatus.resolved and complaint.closed_at is not None
    assert handover.reference in complaint.answer and "10.06.2026" in complaint.answer
    assert "10:30" in complaint.answer  # city time, not UTC
    assert complaint.answer == messages.handover_answer(
        "ru", reference=handover.reference, collected=True, at=COLLECTED_AT,
        timezone=city.timezone,
    )  # fmt: skip
    assert "Jet" not in complaint.answer  # every company the complaint went to reads it
    last = complaints.history(db, complaint_id=complaint.id)[-1]
    assert (last.action, last.by) == (ComplaintAction.resolve, complaints.DAMAGE_DESK.label)
    mails = notify.list_emails(db, city_id=city.id, ref=complaint.reference)
    answer = next(m for m in mails if m.kind == "complaint.answer")
    assert answer.to == "dana@example.kz" and handover.reference in answer.body
    assert follow(db, city) == 0  # nothing more to follow


@pytest.mark.parametrize("locale", ["kk", "en"])
def test_the_answer_is_in_the_complainants_language(db: Session, city: City, jet_rep, locale):
    complaint, handover = handed_over(db, city, locale=locale)
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.collect,
        via=CollectedVia.portal, now=COLLECTED_AT,
    )  # fmt: skip
    follow(db, city)
    template = catalogue(locale).gettext(messages.HANDOVER_COLLECTED)
    assert template.split("{reference}")[0] in complaint.answer
    assert complaint.answer != messages.handover_answer(
        "ru", reference=handover.reference, collected=True, at=COLLECTED_AT,
        timezone=city.timezone,
    )  # fmt: skip


def test_a_handover_resolved_without_a_collection_says_the_company_dealt_with_it(
    db: Session, city: City, jet_rep
):
    complaint, handover = handed_over(db, city)
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.resolve,
        via=CollectedVia.api, note="repaired on the spot", now=COLLECTED_AT,
    )  # fmt: skip
    assert follow(db, city) == 1
    assert complaint.status == ComplaintStatus.resolved
    assert complaint.answer == messages.handover_answer(
        "ru", reference=handover.reference, collected=False, at=COLLECTED_AT,
        timezone=city.timezone,
    )  # fmt: skip
    assert "repaired on the spot" not in complaint.answer  # the company's note is the operator's


def test_a_withdrawn_handover_returns_the_complaint_to_staff(db: Session, city: City, lead):
    complaint, handover = handed_over(db, city)
    damage.cancel(db, scope=lead, handover_id=handover.id, note="Самокат исправен")
    assert follow(db, city) == 1
    assert complaint.status == ComplaintStatus.received and complaint.damage_ref is None
    last = complaints.history(db, complaint_id=complaint.id)[-1]
    assert last.action == ComplaintAction.hand_back
    assert handover.reference in last.note and "Самокат исправен" in last.note
    assert follow(db, city) == 0
    # The desk took this complaint in once: sending it there again is refused with the reason.
    with pytest.raises(Conflict, match="damage desk before"):
        routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(damage=True))
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    assert complaint.status == ComplaintStatus.in_work and complaint.task_id is not None


def test_a_withdrawn_handover_leaves_an_open_task_to_the_scout(db: Session, city: City, lead):
    complaint, handover = handed_over(db, city)
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    damage.cancel(db, scope=lead, handover_id=handover.id, note="ошибка")
    assert follow(db, city) == 0
    assert complaint.status == ComplaintStatus.in_work and complaint.damage_ref is None
    note = db.scalars(
        select(ComplaintComment).where(ComplaintComment.complaint_id == complaint.id)
    ).one()
    assert note.company_id is None and handover.reference in note.body
    assert follow(db, city) == 0


def test_a_reopened_complaint_is_not_closed_again_by_what_is_over(
    db: Session, city: City, lead, jet_rep
):
    complaint, handover = handed_over(db, city)
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.collect,
        via=CollectedVia.api,
    )  # fmt: skip
    follow(db, city)
    reopen = StatusChange(action=ComplaintAction.reopen, text="Самокат снова там")
    complaints.change_status(
        db, scope=lead, reference=complaint.reference, data=reopen, config=config()
    )
    assert complaint.status == ComplaintStatus.in_work and complaint.damage_ref is None
    assert follow(db, city) == 0 and complaint.status == ComplaintStatus.in_work
    # The same holds for a scout's task that was done before the complaint was re-opened.
    scout = account(db, city, username="fh-scout", role=Role.scout)
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    task = db.get(Task, complaint.task_id)
    assert task is not None
    tasks_service.assign(db, scope=lead, task_id=task.id, scout_id=scout.id)
    tasks_service.act(db, scope=scope_of(scout), task_id=task.id, action=TaskAction.start)
    work.finish(
        db, scope=scope_of(scout), task_id=task.id,
        data=TaskFinish(counts=[CompanyCount(company="jet", count=1)], notes="Убрал"),
    )  # fmt: skip
    assert task.state == TaskState.done
    assert routing.follow_tasks(db, city=city, config=config(), at=utcnow()) == 1
    complaints.change_status(
        db, scope=lead, reference=complaint.reference, data=reopen, config=config()
    )
    assert complaint.task_id is None
    later = utcnow() + timedelta(minutes=1)
    assert routing.follow_tasks(db, city=city, config=config(), at=later) == 0
    assert complaint.status == ComplaintStatus.in_work


def test_the_worker_runs_the_follow_up(db: Session, city: City, jet_rep, settings: Settings):
    complaint, handover = handed_over(db, city)
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.collect,
        via=CollectedVia.api,
    )  # fmt: skip
    job = REGISTRY["complaints.follow_handovers"]
    job.run(JobContext(settings=settings, http=None), db, city)
    assert complaint.status == ComplaintStatus.resolved


def test_the_status_page_shows_the_answer(app_client: TestClient, db: Session, city: City, jet_rep):
    complaint, handover = handed_over(db, city)
    damage.answer(
        db, scope=jet_rep, handover_id=handover.id, action=HandoverAction.collect,
        via=CollectedVia.api, now=COLLECTED_AT,
    )  # fmt: skip
    follow(db, city)
    page = app_client.get(f"/complaints/status/{complaint.reference}")
    assert page.status_code == 200 and 'data-status="resolved"' in page.text
    assert handover.reference in page.text and "10:30" in page.text


def test_every_text_written_to_complainants_is_translated():
    for locale in ("ru", "kk"):
        missing = [m for m in messages.ALL if catalogue(locale).gettext(m) == m]
        assert missing == [], (locale, missing)
