"""Automatic routing, a city's choice: a place-fixable complaint goes to a scout's task (a damaged
vehicle found alone goes to the damage desk) and its companies see it in their portal as soon as
it is received and matched; riding complaints and cities that route by hand wait for staff; staff
can still re-route; the history and the audit trail say it was automatic."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities.models import City
from tartip.complaints import access, auto, matches, policy, routing
from tartip.complaints import service as complaints
from tartip.complaints.enums import (
    ComplaintAction,
    ComplaintCategory,
    ComplaintStatus,
    MatchState,
)
from tartip.complaints.models import Complaint
from tartip.complaints.schemas import ComplaintCreate, RouteRequest, StatusChange
from tartip.core.errors import Conflict
from tartip.damage.models import CasePhoto, DamageCase, Handover
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Task
from tests import builders
from tests.complaints.helpers import CENTRE, config, csrf_of, scope_of
from tests.damage.helpers import account
from tests.ops.helpers import jpeg_with_gps

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])
API = "/api/v1/complaints"


@pytest.fixture
def auto_on(db: Session, city: City) -> None:
    policy.ensure(db, city_id=city.id, auto_route=True, by="test")


def vehicle_of(db: Session, city: City, slug: str, code: str, lon: float = NEAR[0]) -> None:
    feed = builders.make_feed(db, builders.company(db, city, slug))
    builders.make_vehicle(db, feed, vehicle_id=code, lon=lon, lat=NEAR[1])


def bearer(db: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def receive(db: Session, city: City, category: ComplaintCategory, **fields: object) -> Complaint:
    data = ComplaintCreate(category=category, lon=CENTRE[0], lat=CENTRE[1], **fields)
    return auto.receive(db, scope=None, city=city, data=data, config=config())


def routing_audit(db: Session, complaint: Complaint) -> AuditEntry:
    stmt = select(AuditEntry).where(
        AuditEntry.action == "complaint.route", AuditEntry.entity_id == complaint.reference
    )
    return db.scalars(stmt).one()


def test_the_policy_is_off_until_an_admin_turns_it_on(
    app_client: TestClient, db: Session, city: City
):
    admin = bearer(db, account(db, city, username="pol-admin", role=Role.admin))
    lead = bearer(db, account(db, city, username="pol-lead", role=Role.supervisor))
    rep = bearer(db, account(db, city, username="pol-rep", role=Role.company_rep, company="jet"))
    assert app_client.get(f"{API}/policy", headers=lead).json()["auto_route"] is False
    assert app_client.get(f"{API}/policy", headers=rep).status_code == 403
    refused = app_client.put(f"{API}/policy", json={"auto_route": True}, headers=lead)
    assert refused.status_code == 403
    assert policy.auto_route_on(db, city_id=city.id) is False
    turned = app_client.put(f"{API}/policy", json={"auto_route": True}, headers=admin)
    assert turned.status_code == 200, turned.text
    assert turned.json()["auto_route"] is True and turned.json()["updated_by"] == "pol-admin"
    assert policy.auto_route_on(db, city_id=city.id) is True
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.policy")).one()
    assert (entry.actor, entry.before, entry.after) == ("pol-admin", None, {"auto_route": True})
    # Seeding never overrides what an admin chose.
    policy.ensure(db, city_id=city.id, auto_route=False, by="demo")
    assert policy.auto_route_on(db, city_id=city.id) is True


def test_an_admin_switches_it_on_the_complaints_page(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="pol-page-admin", role=Role.admin)
    builders.login(app_client, "pol-page-admin")
    page = app_client.get("/complaints")
    assert 'data-testid="auto-route" data-on="false"' in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    sent = app_client.post(
        "/complaints/policy", data={"csrf_token": token, "auto_route": "on"}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert 'data-on="true"' in app_client.get("/complaints").text
    assert policy.auto_route_on(db, city_id=city.id) is True


def test_a_blocked_passage_from_the_public_form_goes_to_a_scout_and_its_company(
    app_client: TestClient, db: Session, city: City, auto_on: None
):
    vehicle_of(db, city, "jet", "JET-ACROSS")
    vehicle_of(db, city, "whoosh", "WH-FAR", lon=CENTRE[0] + 0.01)
    sent = app_client.post(
        "/complaints/new",
        data={
            "csrf_token": csrf_of(app_client), "category": "blocking_passage",
            "lon": str(CENTRE[0]), "lat": str(CENTRE[1]), "website": "",
            "description": "Самокат поперёк тротуара",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.status == ComplaintStatus.in_work and complaint.taken_at is not None
    task = db.get(Task, complaint.task_id)
    assert task is not None
    assert (task.origin, task.kind, task.state) == (
        TaskOrigin.complaint, TaskKind.move_to_parking, TaskState.new,
    )  # fmt: skip
    assert task.source_ref == complaint.reference and task.created_by == auto.AUTO_LABEL
    links = matches.companies_of(db, complaint_id=complaint.id)
    jet = builders.company(db, city, "jet")
    assert [(link.company_id, link.state) for link in links] == [(jet.id, MatchState.suggested)]
    assert links[0].routed_at is not None and links[0].routed_by == auto.AUTO_LABEL
    # The history and the audit trail say it was automatic; the history names no company.
    last = complaints.history(db, complaint_id=complaint.id)[-1]
    assert (last.action, last.by) == (ComplaintAction.take, auto.AUTO_LABEL)
    assert last.note.startswith("routed automatically") and "jet" not in last.note
    entry = routing_audit(db, complaint)
    assert entry.actor == auto.AUTO_LABEL and entry.actor_user_id is None
    assert entry.after is not None and entry.after["automatic"] is True
    assert entry.after["routed"] == [f"task {task.id}", "jet"]
    # Jet sees the case in its portal; Whoosh, whose scooter stood elsewhere, does not.
    jet_rep = bearer(db, account(db, city, username="ar-jet", role=Role.company_rep, company="jet"))
    wh_rep = account(db, city, username="ar-wh", role=Role.company_rep, company="whoosh")
    listed = app_client.get(API, headers=jet_rep).json()
    assert [c["reference"] for c in listed["items"]] == [complaint.reference]
    assert app_client.get(API, headers=bearer(db, wh_rep)).json()["total"] == 0
    status = app_client.get(f"/complaints/status/{complaint.reference}")
    assert 'data-status="in_work"' in status.text
    # The supervisor's page shows who routed it, and the task.
    builders.make_user(db, city, username="ar-desk", role=Role.supervisor)
    builders.login(app_client, "ar-desk")
    page = app_client.get(f"/complaints/{complaint.reference}")
    assert page.status_code == 200 and auto.AUTO_LABEL in page.text
    assert f'data-testid="task-id">#{task.id}<' in page.text


def test_a_damaged_vehicle_found_alone_goes_to_the_damage_desk_with_its_photos(
    app_client: TestClient, db: Session, city: City, auto_on: None
):
    vehicle_of(db, city, "jet", "JET-BENT")
    police = bearer(db, account(db, city, username="ar-police", role=Role.police))
    made = app_client.post(
        API,
        json={"category": "damaged_vehicle", "lon": CENTRE[0], "lat": CENTRE[1],
              "description": "Сломан руль", "external_ref": "POL-1"},
        headers=police,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "in_work" and body["damage_ref"].startswith("DH-")
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.task_id is None
    handover = db.scalars(select(Handover)).one()
    assert handover.reference == complaint.damage_ref
    assert handover.company_id == builders.company(db, city, "jet").id
    assert handover.handed_over_by == auto.AUTO_LABEL
    case = db.get(DamageCase, handover.case_id)
    assert (
        case is not None and case.vehicle_code == "JET-BENT" and "Сломан руль" in case.description
    )
    # The photo the police send next reaches the company with the handover.
    sent = app_client.post(
        f"{API}/{complaint.reference}/photos",
        files={"file": ("bent.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=police,
    )
    assert sent.status_code == 201, sent.text
    assert len(list(db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)))) == 1
    # The same case number again changes nothing: one complaint, one handover.
    again = app_client.post(
        API,
        json={"category": "damaged_vehicle", "lon": CENTRE[0], "lat": CENTRE[1],
              "external_ref": "POL-1"},
        headers=police,
    )  # fmt: skip
    assert again.json()["reference"] == complaint.reference
    assert len(list(db.scalars(select(Handover)))) == 1
    jet = bearer(db, account(db, city, username="ar-jet2", role=Role.company_rep, company="jet"))
    handovers = app_client.get("/api/v1/damage/handovers", headers=jet).json()
    assert [h["reference"] for h in handovers["items"]] == [complaint.damage_ref]
    seen = app_client.get(f"{API}/{complaint.reference}", headers=jet).json()
    assert seen["damage_ref"] == complaint.damage_ref


def test_a_damaged_vehicle_among_several_sends_a_scout_to_look(
    db: Session, city: City, auto_on: None
):
    vehicle_of(db, city, "jet", "JET-A")
    vehicle_of(db, city, "whoosh", "WH-B")
    complaint = receive(db, city, ComplaintCategory.damaged_vehicle)
    assert complaint.status == ComplaintStatus.in_work and complaint.damage_ref is None
    task = db.get(Task, complaint.task_id)
    assert task is not None and task.kind == TaskKind.inspect_vehicle
    assert db.scalars(select(DamageCase)).first() is None
    routed = {link.company_id for link in matches.companies_of(db, complaint_id=complaint.id)}
    assert routed == {builders.company(db, city, s).id for s in ("jet", "whoosh")}


def test_riding_complaints_and_cities_that_route_by_hand_wait_for_staff(db: Session, city: City):
    vehicle_of(db, city, "jet", "JET-STILL")
    by_hand = receive(db, city, ComplaintCategory.badly_parked)
    assert by_hand.status == ComplaintStatus.received and by_hand.task_id is None
    policy.ensure(db, city_id=city.id, auto_route=True, by="test")
    riding = receive(db, city, ComplaintCategory.dangerous_riding)
    assert riding.status == ComplaintStatus.received and riding.task_id is None
    links = matches.companies_of(db, complaint_id=riding.id)
    assert links and all(link.routed_at is None for link in links)
    # A complaint about nobody's vehicle in particular still gets a scout.
    nobody = auto.receive(
        db, scope=None, city=city, config=config(),
        data=ComplaintCreate(category="badly_parked", lon=CENTRE[0] + 0.01, lat=CENTRE[1]),
    )  # fmt: skip
    assert nobody.status == ComplaintStatus.in_work and nobody.task_id is not None
    assert matches.companies_of(db, complaint_id=nobody.id) == []


def test_staff_can_still_reroute_what_was_routed_automatically(
    db: Session, city: City, auto_on: None
):
    vehicle_of(db, city, "jet", "JET-1")
    vehicle_of(db, city, "whoosh", "WH-1")
    complaint = receive(db, city, ComplaintCategory.badly_parked)
    first_task = complaint.task_id
    lead = scope_of(builders.make_user(db, city, username="ar-lead", role=Role.supervisor))
    wh_rep = builders.make_user(
        db, city, username="ar-wh2", role=Role.company_rep, company_slug="whoosh"
    )
    assert access.get(db, scope=scope_of(wh_rep), reference=complaint.reference) is not None
    # Whoosh's scooter was only passing: staff take Whoosh off, and Whoosh no longer sees it.
    matches.decide_company(
        db, scope=lead, reference=complaint.reference, action="remove", company="whoosh"
    )
    assert access.get(db, scope=scope_of(wh_rep), reference=complaint.reference) is None
    # A second task while the first is open is refused; withdrawn by hand, a new one is sent.
    with pytest.raises(Conflict):
        routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    task = db.get(Task, first_task)
    assert task is not None
    complaints.close_task_of(db, scope=lead, complaint=complaint, reason="wrong place")
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(task=True))
    assert complaint.task_id is not None and complaint.task_id != first_task
    complaints.change_status(
        db, scope=lead, reference=complaint.reference, config=config(),
        data=StatusChange(action=ComplaintAction.resolve, text="Убрано"),
    )  # fmt: skip
    assert complaint.status == ComplaintStatus.resolved


def test_a_complaint_that_cannot_be_routed_waits_for_staff(
    db: Session, city: City, auto_on: None, monkeypatch: pytest.MonkeyPatch
):
    def refuse(*_args: object, **_kwargs: object) -> Task:
        raise Conflict("no scouts today")

    vehicle_of(db, city, "jet", "JET-2")
    monkeypatch.setattr(routing, "open_task", refuse)
    complaint = receive(db, city, ComplaintCategory.badly_parked)
    assert complaint.status == ComplaintStatus.received and complaint.task_id is None
    assert all(
        link.routed_at is None for link in matches.companies_of(db, complaint_id=complaint.id)
    )
    assert [t.to_status for t in complaints.history(db, complaint_id=complaint.id)] == [
        ComplaintStatus.received
    ]
    audit = select(AuditEntry).where(AuditEntry.action == "complaint.route")
    assert db.scalars(audit).first() is None
