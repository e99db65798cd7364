"""The open-data API over real HTTP: no login, JSON and CSV, licence, suppression, limits."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.public.schemas import CatalogueRead, DatasetRead
from tests.public.fixtures import seed_trips, seed_vehicles

API = "/api/v1/open-data"


def test_the_catalogue_names_every_dataset_and_the_licence(app_client: TestClient, city: City):
    response = app_client.get(API)  # no session, no token
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    catalogue = CatalogueRead.model_validate(response.json())
    assert catalogue.k == 10 and catalogue.licence.name == "CC BY 4.0"
    names = [d.name for d in catalogue.datasets]
    assert names == [
        "vehicles", "results", "trips-hourly", "trips-daily", "trips-districts",
        "trips-district-hours",
    ]  # fmt: skip
    for info in catalogue.datasets:  # every link in the catalogue answers
        assert app_client.get(info.url).status_code == 200, info.url


def test_a_months_district_totals_as_json_and_csv(app_client: TestClient, db: Session, city: City):
    seed_trips(db, city)
    response = app_client.get(f"{API}/trips/districts", params={"month": "2026-06"})
    assert response.status_code == 200
    assert 'rel="license"' in response.headers["link"]
    assert response.headers["cache-control"].startswith("public")
    data = DatasetRead.model_validate(response.json())
    assert data.complete and data.k == 10 and data.licence.url.startswith("https://")
    trips = {r["district"]: r["trips"] for r in data.rows}
    assert trips["almaly"] == 27 and trips["medeu"] is None and trips["all"] == 30
    assert data.suppressed == len(data.rows) - 2

    csv_response = app_client.get(
        f"{API}/trips/districts", params={"month": "2026-06", "format": "csv"}
    )
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.text.lstrip("\ufeff"))))
    by_code = {r["district"]: r for r in rows}
    assert by_code["almaly"]["trips"] == "27" and by_code["medeu"]["trips"] == ""
    assert by_code["almaly"]["district_name_ru"]  # names for a Russian-speaking reader


def test_nothing_personal_is_in_any_answer(app_client: TestClient, db: Session, city: City):
    seed_trips(db, city)
    seed_vehicles(db, city)
    for path in ("trips/hourly", "trips/daily", "results"):
        body = app_client.get(f"{API}/{path}", params={"month": "2026-06"}).json()
        for row in body["rows"]:
            assert set(row) <= {
                "date", "hour", "month", "district", "district_name", "district_name_ru",
                "district_name_kk", "trips", "figure", "value",
            }  # fmt: skip
            value = row.get("trips", row.get("value"))
            assert value is None or value >= 10
    vehicles = app_client.get(f"{API}/vehicles").json()
    assert set(vehicles["rows"][0]) == {
        "district", "district_name", "district_name_ru", "district_name_kk", "vehicles",
    }  # fmt: skip
    assert {r["district"]: r["vehicles"] for r in vehicles["rows"]}["almaly"] == 12


def test_a_month_under_way_has_no_district_totals(app_client: TestClient, city: City):
    response = app_client.get(f"{API}/trips/districts", params={"month": "2026-11"})
    assert response.status_code == 409 and "not over" in response.json()["message"]
    bad = app_client.get(f"{API}/trips/daily", params={"month": "June"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "query.month"
    future = app_client.get(f"{API}/trips/daily", params={"month": "2099-01"})
    assert future.status_code == 422 and "has not begun" in future.json()["message"]
    unknown = app_client.get(API, params={"city": "atlantis"})
    assert unknown.status_code == 404 and "atlantis" in unknown.json()["message"]


def test_one_address_is_limited(app_client: TestClient, city: City):
    app_client.app.state.settings.open_data_rate_limit = 3  # type: ignore[attr-defined]
    answers = [app_client.get(API).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = app_client.get(API).json()
    assert refused["code"] == "rate_limited" and "at most 3" in refused["message"]


def test_answers_are_cached_for_a_while(app_client: TestClient, db: Session, city: City):
    first = app_client.get(f"{API}/vehicles").json()
    seed_vehicles(db, city)  # new vehicles appear, but the kept answer is served
    assert app_client.get(f"{API}/vehicles").json()["rows"] == first["rows"]
