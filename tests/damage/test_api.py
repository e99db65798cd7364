"""The damage API: a company answers its handovers with its token, each step time-stamped, and never
sees another company's handovers, photos, deliveries or figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities.models import City
from tartip.damage import intake, service, webhooks
from tartip.damage.enums import EventKind
from tartip.damage.models import CasePhoto, DamageCase, Handover
from tartip.damage.schemas import (
    DeliveryPage,
    FiguresRead,
    HandoverDetail,
    HandoverPage,
    HandoverRead,
)
from tests import builders
from tests.damage.helpers import (
    CENTRE,
    account,
    admin_scope,
    hook,
    make_rep,
    make_scout,
    report_damage,
)

API = "/api/v1/damage"


def bearer(db: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


@pytest.fixture
def two_handovers(db: Session, city: City, tmp_path: Path) -> dict[str, int]:
    """A Jet and a Whoosh scooter reported broken (with a photo each) and handed over."""
    scout = make_scout(db, city)
    ids = {}
    for slug, code in (("jet", "JET-100"), ("whoosh", "WH-200")):
        company = builders.company(db, city, slug)
        feed = builders.make_feed(db, company)
        builders.make_vehicle(db, feed, vehicle_id=code, lon=CENTRE[0], lat=CENTRE[1])
        report_damage(db, scout, code=code, description=f"{slug} broken", photo=True, root=tmp_path)
    intake.from_ops_reports(db, city_id=city.id)
    for slug, code in (("jet", "JET-100"), ("whoosh", "WH-200")):
        stmt = select(Handover.id).join(DamageCase, DamageCase.id == Handover.case_id)
        ids[slug] = db.scalar(stmt.where(DamageCase.vehicle_code == code))
    return ids


def test_a_company_acknowledges_collects_and_resolves_with_its_token(
    app_client: TestClient, db: Session, city: City, two_handovers: dict[str, int]
):
    rep = make_rep(db, city, "jet")
    auth = bearer(db, rep)
    hid = two_handovers["jet"]
    listed = app_client.get(f"{API}/handovers", headers=auth)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    page = HandoverPage.model_validate(listed.json())
    assert [h.handover_id for h in page.items] == [hid] and page.total == 1
    assert page.items[0].photos[0].startswith("http://testserver/api/v1/damage/photos/")

    acked = app_client.post(f"{API}/handovers/{hid}/acknowledge", headers=auth)
    assert acked.status_code == 200, acked.text
    read = HandoverRead.model_validate(acked.json())
    assert read.status == "acknowledged" and read.acknowledged_at is not None
    again = app_client.post(f"{API}/handovers/{hid}/acknowledge", headers=auth)
    assert HandoverRead.model_validate(again.json()).acknowledged_at == read.acknowledged_at

    collected = HandoverRead.model_validate(
        app_client.post(f"{API}/handovers/{hid}/collect", headers=auth).json()
    )
    assert collected.status == "collected" and collected.collected_via == "api"
    assert collected.collected_at is not None and collected.collected_at >= read.acknowledged_at
    resolved = app_client.post(
        f"{API}/handovers/{hid}/resolve", headers=auth, json={"note": "new wheel fitted"}
    )
    done = HandoverRead.model_validate(resolved.json())
    assert done.status == "resolved" and done.resolution == "new wheel fitted"
    assert done.resolved_at is not None and done.resolved_at >= done.collected_at

    detail = HandoverDetail.model_validate(
        app_client.get(f"{API}/handovers/{hid}", headers=auth).json()
    )
    assert [e.kind for e in detail.history] == [
        "handed_over",
        "acknowledged",
        "collected",
        "resolved",
    ]
    assert all(e.actor for e in detail.history)
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity_type == "damage_handover")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "damage_handover.acknowledge", "damage_handover.collect", "damage_handover.resolve",
    ]  # fmt: skip


def test_a_company_never_sees_another_companys_handovers(
    app_client: TestClient, db: Session, city: City, two_handovers: dict[str, int]
):
    rep = make_rep(db, city, "jet")
    auth = bearer(db, rep)
    rival = two_handovers["whoosh"]
    for method, path in (
        ("get", f"{API}/handovers/{rival}"),
        ("post", f"{API}/handovers/{rival}/acknowledge"),
        ("post", f"{API}/handovers/{rival}/collect"),
        ("post", f"{API}/handovers/{rival}/resolve"),
    ):
        response = getattr(app_client, method)(path, headers=auth)
        assert response.status_code == 404, (path, response.text)
    everything = app_client.get(f"{API}/handovers?company=whoosh&size=1000", headers=auth).json()
    assert everything["items"] == [] and everything["total"] == 0
    rival_row = service.get_or_raise(db, scope=admin_scope(city), handover_id=rival)
    photo_ids = db.scalars(select(CasePhoto.id).where(CasePhoto.case_id == rival_row.case.id)).all()
    assert photo_ids
    for photo_id in photo_ids:
        assert app_client.get(f"{API}/photos/{photo_id}", headers=auth).status_code == 404
    own = app_client.get(f"{API}/handovers/{two_handovers['jet']}", headers=auth).json()
    served = app_client.get(own["photos"][0].replace("http://testserver", ""), headers=auth)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert app_client.get(f"{API}/webhooks/whoosh", headers=auth).status_code == 404
    assert app_client.get(f"{API}/agreements/whoosh", headers=auth).status_code == 404
    figures = FiguresRead.model_validate(app_client.get(f"{API}/figures", headers=auth).json())
    assert {r.company for r in figures.rows} == {"jet"}


def test_a_company_sees_only_its_own_webhook_deliveries(
    app_client: TestClient, db: Session, city: City, two_handovers: dict[str, int]
):
    hook(db, builders.company(db, city, "jet"), "http://127.0.0.1:9/jet")
    hook(db, builders.company(db, city, "whoosh"), "http://127.0.0.1:9/whoosh")
    for hid in two_handovers.values():  # handed over before the hooks: an update is sent
        handover = db.get(Handover, hid)
        assert handover is not None
        service.record_event(
            db, handover, EventKind.report_merged, at=handover.handed_over_at, actor="t"
        )
    webhooks.fan_out(db, city=city, base_url="https://tartip.example")
    rep = make_rep(db, city, "jet")
    page = DeliveryPage.model_validate(
        app_client.get(f"{API}/deliveries", headers=bearer(db, rep)).json()
    )
    assert page.total >= 1 and {d.company for d in page.items} == {"jet"}
    rival = db.scalars(select(Handover).where(Handover.id == two_handovers["whoosh"])).one()
    rival_delivery = app_client.get(
        f"{API}/deliveries?handover_id={rival.id}", headers=bearer(db, rep)
    ).json()
    assert rival_delivery["items"] == []
    scout = make_scout(db, city)
    assert app_client.get(f"{API}/deliveries", headers=bearer(db, scout)).status_code == 403


def test_staff_may_answer_for_a_company_but_a_scout_may_not(
    app_client: TestClient, db: Session, city: City, two_handovers: dict[str, int]
):
    hid = two_handovers["whoosh"]
    scout = make_scout(db, city)
    assert (
        app_client.post(f"{API}/handovers/{hid}/collect", headers=bearer(db, scout)).status_code
        == 403
    )
    boss = account(db, city, username="lead", role=Role.supervisor)
    answered = app_client.post(f"{API}/handovers/{hid}/collect", headers=bearer(db, boss))
    assert answered.status_code == 200 and answered.json()["collected_via"] == "staff"


def test_a_withdrawn_handover_refuses_answers(
    app_client: TestClient, db: Session, city: City, two_handovers: dict[str, int]
):
    hid = two_handovers["jet"]
    boss = account(db, city, username="lead2", role=Role.supervisor)
    withdrawn = app_client.post(
        f"{API}/handovers/{hid}/cancel", headers=bearer(db, boss), json={"note": "wrong scooter"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "cancelled"
    rep = make_rep(db, city, "jet")
    refused = app_client.post(f"{API}/handovers/{hid}/acknowledge", headers=bearer(db, rep))
    assert refused.status_code == 409 and "withdrawn" in refused.json()["message"]
    whoosh_rep = bearer(db, make_rep(db, city, "whoosh"))
    rep_cancel = app_client.post(
        f"{API}/handovers/{two_handovers['whoosh']}/cancel", headers=whoosh_rep, json={"note": "x"}
    )
    assert rep_cancel.status_code == 403
