"""The damage pages: the staff's list, a case, the printable act, settings and the delivery log;
the company's portal pages, which show a company its own handovers only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.damage import agreements, intake, webhooks
from tartip.damage.models import CompanyAgreement, DamageCase, Handover, WebhookEndpoint
from tests import builders
from tests.damage.helpers import CENTRE, hook, make_rep, make_scout, report_damage


def csrf(client: TestClient, path: str = "/damage") -> str:
    page = client.get(path)
    return page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.fixture
def handovers(db: Session, city: City, tmp_path: Path) -> dict[str, Handover]:
    scout = make_scout(db, city, "pages-scout")
    for slug, code in (("jet", "JET-501"), ("whoosh", "WH-502")):
        feed = builders.make_feed(db, builders.company(db, city, slug))
        builders.make_vehicle(db, feed, vehicle_id=code, lon=CENTRE[0], lat=CENTRE[1])
        report_damage(
            db, scout, code=code, description=f"{slug}: deck cracked", photo=True, root=tmp_path
        )
    intake.from_ops_reports(db, city_id=city.id)
    stmt = select(Handover, DamageCase.vehicle_code).join(
        DamageCase, DamageCase.id == Handover.case_id
    )
    return {("jet" if code.startswith("JET") else "whoosh"): h for h, code in db.execute(stmt)}


def test_the_supervisors_damage_page_lists_cases_and_figures(
    app_client: TestClient, db: Session, city: City, handovers: dict[str, Handover]
):
    builders.make_user(db, city, username="lead", role=Role.supervisor)
    builders.login(app_client, "lead")
    page = app_client.get("/damage", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert (
        'data-testid="damage-page"' in page.text
        and "JET-501" in page.text
        and "WH-502" in page.text
    )
    assert 'data-testid="damage-figures"' in page.text
    assert 'data-testid="figure-' in page.text
    filtered = app_client.get("/damage?company=whoosh")
    assert "WH-502" in filtered.text and "JET-501" not in filtered.text
    russian = app_client.get("/damage", headers={"accept-language": "ru"})
    assert "Неисправные самокаты" in russian.text

    case_id = handovers["jet"].case_id
    case = app_client.get(f"/damage/cases/{case_id}")
    assert case.status_code == 200
    assert handovers["jet"].reference in case.text and "jet: deck cracked" in case.text
    assert "data-damage-map" in case.text and "/api/v1/damage/photos/" in case.text
    assert 'data-testid="case-history"' in case.text


def test_a_supervisor_makes_a_handover_act_and_it_prints(
    app_client: TestClient, db: Session, city: City, handovers: dict[str, Handover]
):
    builders.make_user(db, city, username="lead", role=Role.supervisor)
    builders.login(app_client, "lead")
    choose = app_client.get("/damage/batches?company=jet")
    assert choose.status_code == 200 and handovers["jet"].reference in choose.text
    assert handovers["whoosh"].reference not in choose.text
    made = app_client.post(
        "/damage/batches",
        data={
            "csrf_token": csrf(app_client), "company": "jet",
            "handover_ids": [str(handovers["jet"].id)],
            "handed_over_by": "Aigerim S.", "received_by": "Dmitry (Jet depot)",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    act_url = made.headers["location"]
    assert re.fullmatch(r"/damage/batches/\d+", act_url)
    act = app_client.get(act_url)
    assert act.status_code == 200
    text = act.text
    assert 'data-testid="act"' in text and "@media print" in text
    assert "JET-501" in text and "WH-502" not in text
    assert "Aigerim S." in text and "Dmitry (Jet depot)" in text
    assert 'data-testid="act-count">1<' in text
    assert re.search(r'<img src="/api/v1/damage/photos/\d+\?thumb=true"', text)
    assert handovers["jet"].batch_id is not None
    # A handover goes into one act only.
    again = app_client.post(
        "/damage/batches",
        data={
            "csrf_token": csrf(app_client),
            "company": "jet",
            "handover_ids": [str(handovers["jet"].id)],
        },
    )
    assert again.status_code == 409
    # The company may read its own act, not another's.
    rep = make_rep(db, city, "whoosh", "whoosh-act-reader")
    other = TestClient(app_client.app)
    builders.login(other, rep.username)
    assert other.get(act_url).status_code == 404


def test_an_admin_sets_a_companys_agreement_and_webhook(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="root", role=Role.admin)
    builders.login(app_client, "root")
    token = csrf(app_client, "/damage/settings")
    saved = app_client.post(
        "/damage/settings/agreements/whoosh",
        data={
            "csrf_token": token,
            "collect_within_h": "8",
            "deliver_webhook": "1",
            "fleet_cap": "6000",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    whoosh = builders.company(db, city, "whoosh")
    agreement = agreements.get_agreement(db, company_id=whoosh.id)
    assert isinstance(agreement, CompanyAgreement)
    assert (agreement.collect_within_h, agreement.deliver_webhook, agreement.fleet_cap) == (
        8.0,
        True,
        6000,
    )
    assert agreements.fleet_caps(db, city_id=city.id)[whoosh.id] == 6000
    hooked = app_client.post(
        "/damage/settings/webhooks/whoosh",
        data={"csrf_token": token, "url": "https://hooks.whoosh.example/tartip", "active": "1"},
    )
    assert hooked.status_code == 200 and 'data-testid="new-secret-value"' in hooked.text
    endpoint = agreements.get_endpoint(db, company_id=whoosh.id)
    assert isinstance(endpoint, WebhookEndpoint) and endpoint.secret in hooked.text
    bad = app_client.post(
        "/damage/settings/webhooks/whoosh", data={"csrf_token": token, "url": "ftp://nope"}
    )
    assert bad.status_code == 422 and 'data-testid="settings-error"' in bad.text
    assert (
        agreements.get_endpoint(db, company_id=whoosh.id).url
        == "https://hooks.whoosh.example/tartip"
    )  # type: ignore[union-attr]
    no_email = app_client.post(
        "/damage/settings/agreements/jet",
        data={"csrf_token": token, "collect_within_h": "8", "deliver_email": "1", "email": ""},
    )
    assert no_email.status_code == 422
    # Only admins change these.
    builders.make_user(db, city, username="lead3", role=Role.supervisor)
    lead = TestClient(app_client.app)
    builders.login(lead, "lead3")
    assert lead.get("/damage/settings").status_code == 403


def test_the_delivery_log_page_sends_again(
    app_client: TestClient, db: Session, city: City, handovers: dict[str, Handover]
):
    hook(db, builders.company(db, city, "jet"), "http://127.0.0.1:9/jet")
    webhooks.fan_out(db, city=city, base_url="https://tartip.example")
    builders.make_user(db, city, username="lead", role=Role.supervisor)
    builders.login(app_client, "lead")
    log = app_client.get("/damage/deliveries")
    assert log.status_code == 200 and "damage.updated" not in log.text
    assert log.text.count("damage.handed_over") == 1  # Jet's; Whoosh has no webhook
    handover = handovers["jet"]
    answer = app_client.post(
        f"/api/v1/damage/handovers/{handover.id}/acknowledge",
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert answer.status_code == 200
    webhooks.fan_out(db, city=city, base_url="https://tartip.example")
    log = app_client.get("/damage/deliveries")
    assert "damage.updated" in log.text
    delivery_id = int(re.search(r'data-testid="redeliver-(\d+)"', log.text).group(1))  # type: ignore[union-attr]
    sent = app_client.post(
        f"/damage/deliveries/{delivery_id}/redeliver", data={"csrf_token": csrf(app_client)},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303


def test_the_portal_shows_a_company_its_own_handovers_and_takes_its_answers(
    app_client: TestClient, db: Session, city: City, handovers: dict[str, Handover]
):
    rep = make_rep(db, city, "jet", "jet-portal")
    builders.login(app_client, rep.username)
    listing = app_client.get("/portal/handovers", headers={"accept-language": "en"})
    assert listing.status_code == 200
    assert "JET-501" in listing.text and "WH-502" not in listing.text
    assert 'data-testid="portal-nav"' in listing.text  # inside the portal's layout
    own = handovers["jet"]
    detail = app_client.get(f"/portal/handovers/{own.id}")
    assert detail.status_code == 200 and 'data-testid="acknowledge"' in detail.text
    assert app_client.get(f"/portal/handovers/{handovers['whoosh'].id}").status_code == 404
    token = csrf(app_client, "/portal/handovers")
    for action in ("acknowledge", "collect"):
        done = app_client.post(
            f"/portal/handovers/{own.id}/{action}",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
    assert own.status == "collected" and own.collected_via == "portal"
    rival = app_client.post(
        f"/portal/handovers/{handovers['whoosh'].id}/acknowledge", data={"csrf_token": token}
    )
    assert rival.status_code == 404 and handovers["whoosh"].status == "handed_over"
    # The company's staff have no business on the operator's pages.
    assert app_client.get("/damage").status_code == 403


def test_a_supervisor_sees_a_companys_portal_read_only(
    app_client: TestClient, db: Session, city: City, handovers: dict[str, Handover]
):
    builders.make_user(db, city, username="lead", role=Role.supervisor)
    builders.login(app_client, "lead")
    page = app_client.get(f"/portal/handovers/{handovers['whoosh'].id}?company=whoosh")
    assert page.status_code == 200
    assert (
        'data-testid="portal-readonly"' in page.text
        and 'data-testid="acknowledge"' not in page.text
    )
    refused = app_client.post(
        f"/portal/handovers/{handovers['whoosh'].id}/acknowledge?company=whoosh",
        data={"csrf_token": csrf(app_client)},
    )
    assert refused.status_code == 403
