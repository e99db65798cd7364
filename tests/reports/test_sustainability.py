"""The sustainability estimate on both databases, by hand from the trip rollups it reads."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.reports.sustainability_schemas import SustainabilityRead
from tartip.trips.statistics_models import TripRollup
from tests import builders

API = "/api/v1/reports/sustainability"
PERIOD = "from=2026-06-01&to=2026-07-31"


def rollup(db: Session, city: City, company: str, day: date, trips: int, metres: int) -> None:
    db.add(
        TripRollup(
            city_id=city.id,
            company_id=builders.company(db, city, company).id,
            local_date=day,
            hour=12,
            start_district=1,
            end_district=1,
            trips=trips,
            duration_s=trips * 600,
            distance_m=metres,
        )
    )


@pytest.fixture
def trips(db: Session, city: City) -> None:
    rollup(db, city, "jet", date(2026, 6, 1), 100, 250_000)
    rollup(db, city, "whoosh", date(2026, 6, 20), 50, 150_000)
    rollup(db, city, "jet", date(2026, 7, 2), 5, 10_000)
    rollup(db, city, "jet", date(2026, 8, 1), 999, 999_000)  # outside the period
    db.flush()


def bearer(
    db: Session, city: City, name: str, role: Role, company: str | None = None
) -> dict[str, str]:
    user = builders.make_user(db, city, username=name, role=role, company_slug=company)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def test_the_default_assumptions_and_the_arithmetic(
    app_client: TestClient, db: Session, city: City, trips: None
):
    boss = bearer(db, city, "boss", Role.supervisor)
    answer = app_client.get(f"{API}?{PERIOD}", headers=boss)
    assert answer.status_code == 200, answer.text
    found = SustainabilityRead.model_validate(answer.json())
    total = found.total
    assert total.assumptions.is_default
    assert (total.trips, total.scooter_km) == (155, pytest.approx(410.0))
    assert total.car_trips_replaced == pytest.approx(31.0)  # 155 × 20 %
    assert total.car_km_replaced == pytest.approx(82.0)  # 410 × 20 % × 1.0
    assert total.car_co2_kg == pytest.approx(13.94)  # 82 km × 170 g
    assert total.scooter_co2_kg == pytest.approx(26.65)  # 410 km × 65 g
    assert total.co2_avoided_kg == pytest.approx(-12.71)  # shown negative, not hidden
    assert [(m.first, m.trips) for m in found.months] == [
        (date(2026, 6, 1), 150),
        (date(2026, 7, 1), 5),
    ]


def test_the_city_sets_its_assumptions_and_they_are_printed_beside_the_figures(
    app_client: TestClient, db: Session, city: City, trips: None
):
    boss = bearer(db, city, "boss", Role.supervisor)
    scout = bearer(db, city, "scout", Role.scout)
    values = {
        "car_trip_share": 0.3,
        "car_km_per_scooter_km": 1.2,
        "car_co2_g_per_km": 200,
        "scooter_co2_g_per_km": 40,
        "source": "Rider survey 2026",
    }
    assert app_client.put(f"{API}/assumptions", json=values, headers=scout).status_code == 403
    assert (
        app_client.put(
            f"{API}/assumptions", json={**values, "car_trip_share": 2}, headers=boss
        ).status_code
        == 422
    )
    saved = app_client.put(f"{API}/assumptions", json=values, headers=boss)
    assert saved.status_code == 200 and saved.json()["is_default"] is False
    total = SustainabilityRead.model_validate(
        app_client.get(f"{API}?{PERIOD}", headers=boss).json()
    ).total
    assert total.car_km_replaced == pytest.approx(147.6)  # 410 × 0.3 × 1.2
    assert total.co2_avoided_kg == pytest.approx(29.52 - 16.4)
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "reports.sustainability.assumptions")
    ).one()
    assert (
        entry.before is None
        and entry.after is not None
        and entry.after["source"] == "Rider survey 2026"
    )

    builders.login(app_client, "boss")
    page = app_client.get(f"/reports/sustainability?{PERIOD}")
    assert page.status_code == 200
    assert "Rider survey 2026" in page.text
    # Russian by default: the assumptions stand beside the figures they feed.
    assert "× 30 %" in page.text and "× 200 г" in page.text and "× 40 г" in page.text


def test_a_company_sees_its_own_trips_and_small_counts_hidden(
    app_client: TestClient, db: Session, city: City, trips: None
):
    jet = bearer(db, city, "jet-rep", Role.company_rep, "jet")
    found = SustainabilityRead.model_validate(app_client.get(f"{API}?{PERIOD}", headers=jet).json())
    assert found.total.trips == 105  # Jet's own: 100 + 5
    july = found.months[1]
    assert (july.trips, july.co2_avoided_kg) == (None, None)  # 5 trips: below k = 10
