"""The scorecard over HTTP: the body's shape, who may read it, and company isolation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.core.clock import utcnow
from tartip.reports.period import Month
from tartip.reports.schemas import ScorecardRead
from tests import builders
from tests.reports import helpers as h

URL = "/api/v1/reports/scorecard"


def get(client: TestClient, token: str, **params: str):
    return client.get(URL, params=params, headers={"Authorization": f"Bearer {token}"})


def token(db: Session, city: City, role: Role, company: str | None = None) -> str:
    user = builders.make_user(
        db, city, username=f"{role.value}-{company or 'city'}", role=role, company_slug=company
    )
    return builders.token_for(db, user)


def test_the_city_sees_every_company_with_formulas(app_client: TestClient, db: Session, city: City):
    jet = builders.company(db, city, "jet")
    h.violation(db, city, jet, ViolationKind.no_parking, h.at(days=1))
    response = get(app_client, token(db, city, Role.city_viewer), month=h.MONTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = ScorecardRead.model_validate(response.json())
    assert body.city == "almaty" and body.period.month == h.MONTH and body.period.complete
    assert body.period.start.isoformat() == "2026-05-31T19:00:00Z".replace("Z", "+00:00")
    assert body.period.timezone == "Asia/Almaty"
    assert [c.company for c in body.companies] == ["jet", "whoosh", "yandex-go"]
    jet_card = body.companies[0]
    assert [m.key.value for m in jet_card.measures] == [
        "deployed",
        "parking_violations",
        "disabled_left",
        "damage_collection",
        "complaints",
        "feed",
        "mds_quality",
        "put_in_order",
    ]
    parking = next(m for m in jet_card.measures if m.key.value == "parking_violations")
    assert {i.key: i.value for i in parking.inputs}["violations"] == 1
    rate = parking.figures[0]
    # No feed ever answered: the rate is "no data", never 0, and says why.
    assert rate.value is None and rate.missing is not None
    assert rate.missing.value == "no_feed_data"
    assert "100 ×" in rate.formula and rate.label
    assert body.assumptions.sample_s == 300 and body.assumptions.disabled_threshold_h == 12


def test_the_default_month_is_this_month_in_almaty(app_client: TestClient, db: Session, city: City):
    response = get(app_client, token(db, city, Role.supervisor))
    assert response.status_code == 200, response.text
    body = ScorecardRead.model_validate(response.json())
    assert body.period.month == Month.containing(utcnow(), "Asia/Almaty").label
    assert not body.period.complete


def test_a_company_sees_only_itself(app_client: TestClient, db: Session, city: City):
    secret = token(db, city, Role.company_rep, "jet")
    response = get(app_client, secret, month=h.MONTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["company"] for c in body["companies"]] == ["jet"]
    assert "whoosh" not in response.text.lower() and "yandex" not in response.text.lower()
    assert get(app_client, secret, month=h.MONTH, company="jet").status_code == 200
    refused = get(app_client, secret, month=h.MONTH, company="whoosh")
    assert refused.status_code == 403
    assert "whoosh" not in refused.text.lower()


def test_who_may_not_read_it_and_bad_months(app_client: TestClient, db: Session, city: City):
    assert app_client.get(URL).status_code == 401
    assert get(app_client, token(db, city, Role.scout)).status_code == 403
    assert get(app_client, token(db, city, Role.technician)).status_code == 403
    boss = token(db, city, Role.admin)
    for bad in ("2026-13", "June", "2026-6-01"):
        response = get(app_client, boss, month=bad)
        assert response.status_code == 422, bad
        assert response.json()["problems"][0]["where"] == "query.month"
    next_month = Month.containing(utcnow(), "Asia/Almaty").next().label
    assert get(app_client, boss, month=next_month).status_code == 422
    assert get(app_client, boss, month=h.MONTH, company="bolt").status_code == 404
