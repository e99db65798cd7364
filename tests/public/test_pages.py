"""The citizens' page and the open-data page, without signing in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tests.public.fixtures import seed_vehicles


def test_the_public_page_shows_scooters_by_district_and_how_to_complain(
    app_client: TestClient, db: Session, city: City
):
    seed_vehicles(db, city)
    response = app_client.get("/public", headers={"accept-language": "ru"})
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert 'data-testid="vehicles-total">15<' in html
    assert 'href="/complaints/new"' in html and 'href="/open-data"' in html
    assert "Самокаты на улицах сейчас" in html  # Russian for a Russian browser
    assert "&lt; 10" in html  # Medeu's 3 scooters are not shown as a number


def test_the_open_data_page_links_every_dataset(app_client: TestClient, city: City):
    response = app_client.get("/open-data", headers={"accept-language": "kk"})
    assert response.status_code == 200
    html = response.text
    for name in ("vehicles", "results", "trips-hourly", "trips-daily", "trips-districts"):
        assert f'data-name="{name}"' in html
    assert "CC BY 4.0" in html and "format=csv" in html
