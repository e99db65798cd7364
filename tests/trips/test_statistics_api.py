"""The trip figures over real HTTP: the JSON API and the /trips dashboard, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.trips import statistics_rollup
from tartip.trips.statistics_schemas import (
    HeatMapRead,
    OriginDestinationRead,
    PlacesRead,
    TripCountsRead,
    TripSummaryRead,
)
from tests import builders
from tests.trips.test_statistics_rollup import ALMALY, DAY, MEDEU, TURKSIB, add_trip, local

API = "/api/v1/trips/statistics"
PERIOD = {"from": DAY.isoformat(), "to": DAY.isoformat()}


@pytest.fixture
def trips(db: Session, city: City) -> None:
    """12 Jet trips Almaly → Medeu at 9:00, 3 Whoosh trips Medeu → Turksib at 17:00 (1 June)."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    for _ in range(12):
        add_trip(db, jet, start=local(DAY, 9), origin=ALMALY, destination=MEDEU, minutes=12)
    for _ in range(3):
        add_trip(db, whoosh, start=local(DAY, 17), origin=MEDEU, destination=TURKSIB)
    statistics_rollup.roll_up(db, city=city)


def client_as(
    app_client: TestClient, db: Session, city: City, role: Role, company: str | None = None
) -> dict[str, str]:
    user = builders.make_user(db, city, username=f"u-{role.value}", role=role, company_slug=company)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def cell(od: OriginDestinationRead, start: str, end: str) -> int | None:
    codes = [p.code for p in od.places]
    return od.counts[codes.index(start)][codes.index(end)]


@pytest.mark.usefixtures("trips")
def test_the_operator_sees_exact_figures(app_client: TestClient, db: Session, city: City):
    headers = client_as(app_client, db, city, Role.supervisor)
    response = app_client.get(f"{API}/od", params={**PERIOD, "locale": "ru"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    od = OriginDestinationRead.model_validate(response.json())
    assert od.suppressed_below is None and od.total == 15
    assert cell(od, "almaly", "medeu") == 12 and cell(od, "medeu", "turksib") == 3
    assert od.places[0].label.endswith("район") and od.places[-1].label == "Вне районов"

    summary = TripSummaryRead.model_validate(
        app_client.get(f"{API}/summary", params=PERIOD, headers=headers).json()
    )
    assert summary.trips == 15 and summary.rolled_up_at is not None
    assert summary.duration_s.mean == pytest.approx((12 * 720 + 3 * 600) / 15)
    hours = TripCountsRead.model_validate(
        app_client.get(f"{API}/hours", params=PERIOD, headers=headers).json()
    )
    assert [(c.key, c.trips) for c in hours.items if c.trips] == [("9", 12), ("17", 3)]
    days = TripCountsRead.model_validate(
        app_client.get(
            f"{API}/days",
            params={"from": (DAY - timedelta(days=1)).isoformat(), "to": DAY.isoformat()},
            headers=headers,
        ).json()
    )
    assert [(c.key, c.trips) for c in days.items] == [("2026-05-31", 0), ("2026-06-01", 15)]
    districts = PlacesRead.model_validate(
        app_client.get(f"{API}/districts", params=PERIOD, headers=headers).json()
    )
    assert {p.code: (p.starts, p.ends) for p in districts.items}["medeu"] == (3, 12)
    heat = HeatMapRead.model_validate(
        app_client.get(f"{API}/heatmap", params=PERIOD, headers=headers).json()
    )
    assert sum(c.starts or 0 for c in heat.cells) == 15
    assert sum(c.ends or 0 for c in heat.cells) == 15


@pytest.mark.usefixtures("trips")
def test_the_city_sees_aggregates_with_small_counts_suppressed(
    app_client: TestClient, db: Session, city: City
):
    headers = client_as(app_client, db, city, Role.city_viewer)
    od = OriginDestinationRead.model_validate(
        app_client.get(f"{API}/od", params=PERIOD, headers=headers).json()
    )
    assert od.suppressed_below == 10
    assert cell(od, "almaly", "medeu") == 12 and cell(od, "medeu", "turksib") is None
    companies = TripCountsRead.model_validate(
        app_client.get(f"{API}/companies", params=PERIOD, headers=headers).json()
    )
    assert {c.key: c.trips for c in companies.items} == {
        "jet": 12, "whoosh": None, "yandex-go": None,
    }  # fmt: skip
    heat = app_client.get(f"{API}/heatmap", params=PERIOD, headers=headers).json()
    assert all(c["starts"] is None or c["starts"] >= 10 for c in heat["cells"])
    assert all(c["ends"] is None or c["ends"] >= 10 for c in heat["cells"])


@pytest.mark.usefixtures("trips")
def test_a_company_sees_its_own_trips_only(app_client: TestClient, db: Session, city: City):
    headers = client_as(app_client, db, city, Role.company_rep, "jet")
    body = app_client.get(f"{API}/companies", params=PERIOD, headers=headers).json()
    assert [(c["key"], c["trips"]) for c in body["items"]] == [("jet", 12)]
    asked_for_whoosh = {**PERIOD, "company": "whoosh"}
    od = app_client.get(f"{API}/od", params=asked_for_whoosh, headers=headers).json()
    assert od["total"] is None and all(n is None for row in od["counts"] for n in row)
    summary = app_client.get(f"{API}/summary", params=PERIOD, headers=headers).json()
    assert summary["trips"] == 12


@pytest.mark.usefixtures("trips")
def test_field_staff_are_refused_and_bad_parameters_are_explained(
    app_client: TestClient, db: Session, city: City
):
    scout = client_as(app_client, db, city, Role.scout)
    assert app_client.get(f"{API}/summary", headers=scout).status_code == 403
    viewer = client_as(app_client, db, city, Role.city_viewer)
    backwards = app_client.get(
        f"{API}/od", params={"from": "2026-06-02", "to": "2026-06-01"}, headers=viewer
    )
    assert backwards.status_code == 422 and "ends before it starts" in backwards.json()["message"]
    unknown = app_client.get(f"{API}/od", params={"company": "bolt"}, headers=viewer)
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["where"] == "company"
    assert app_client.get(f"{API}/od").status_code == 401


@pytest.mark.usefixtures("trips")
def test_the_dashboard_renders_the_figures(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="boss", role=Role.supervisor)
    builders.login(app_client, "boss")
    page = app_client.get("/trips", params=PERIOD)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert 'data-testid="trips-total">15<' in html
    assert 'data-from="almaly" data-to="medeu"' in html
    assert 'data-testid="od-total">15<' in html
    assert 'data-testid="trips-company-jet">12<' in html
    assert 'data-testid="nav-trips"' in html
    assert "/api/v1/trips/statistics/heatmap?from=2026-06-01&to=2026-06-01" in html


@pytest.mark.usefixtures("trips")
def test_the_dashboard_for_the_city_and_a_company(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="akimat", role=Role.city_viewer)
    builders.login(app_client, "akimat")
    html = app_client.get("/trips", params={**PERIOD}, headers={"Accept-Language": "ru"}).text
    assert 'data-testid="trips-suppression"' in html
    assert 'data-testid="trips-company-whoosh"><span class="muted"' in html
    assert "Поездки между районами" in html

    builders.make_user(db, city, username="jet-rep", role=Role.company_rep, company_slug="jet")
    builders.login(app_client, "jet-rep")
    html = app_client.get("/trips", params=PERIOD).text
    assert 'data-testid="trips-company-jet">12<' in html
    assert "trips-company-whoosh" not in html and 'data-testid="trips-total">12<' in html


def test_the_dashboard_refuses_field_staff_and_bad_days(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="scout1", role=Role.scout)
    builders.login(app_client, "scout1")
    assert app_client.get("/trips").status_code == 403
    builders.make_user(db, city, username="boss2", role=Role.supervisor)
    builders.login(app_client, "boss2")
    assert app_client.get("/trips", params={"from": "June"}).status_code == 422
    empty = app_client.get("/trips")
    assert empty.status_code == 200 and 'data-testid="trips-total">0<' in empty.text
