"""GeoJSON import and export through the API: each bad feature named, all or nothing, round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.zones import service as zones_service
from tartip.zones import transfer
from tartip.zones.schemas import ImportReport, ZoneFeatureCollection, ZonePage
from tests import builders
from tests.zones.helpers import LAT, LON, scope, square


def feature(kind: str = "no_parking", name: str = "Z", geometry: Any = None, **props: Any) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": name, **props},
        "geometry": geometry if geometry is not None else square(),
    }


def collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def auth(db: Session, city: City) -> dict[str, str]:
    user = builders.make_user(db, city, username="gis-sup", role=Role.supervisor)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def upload(client: TestClient, auth: dict, raw: bytes, **params: Any):
    return client.post(
        "/api/v1/zones/import",
        params=params,
        files={"file": ("zones.geojson", raw, "application/geo+json")},
        headers=auth,
    )


SELF_CROSSING = {
    "type": "Polygon",
    "coordinates": [
        [[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]
    ],
}
UNCLOSED = {"type": "Polygon", "coordinates": [square()["coordinates"][0][:-1]]}
SWAPPED = {"type": "Polygon", "coordinates": [[[y, x] for x, y in square()["coordinates"][0]]]}
FAR_AWAY = square(37.6, 55.75)  # Moscow


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (feature(geometry=SELF_CROSSING, name="Bowtie", code="B-1"), "crosses itself"),
        (feature(geometry=UNCLOSED, name="Open"), "is not closed"),
        (feature(geometry=SWAPPED, name="Swapped"), "latitude, longitude order"),
        (feature(geometry=FAR_AWAY, name="Moscow"), "outside the city boundary"),
        (feature(kind="no_scooters", name="Odd"), "unknown kind 'no_scooters'"),
        (feature(kind="parking", name="Hub"), "needs a capacity"),
        (
            feature(
                geometry={"type": "LineString", "coordinates": [[LON, LAT], [LON, LAT + 0.001]]}
            ),
            "not allowed",
        ),
        (
            feature(
                geometry={"type": "Point", "coordinates": [LON, LAT]}, kind="parking", capacity=5
            ),
            "radius_m",
        ),
    ],
)
def test_each_bad_feature_is_named_with_its_problem_and_nothing_is_imported(
    app_client: TestClient, auth: dict, db: Session, city: City, bad: dict, expected: str
):
    good = feature(name="Fine zone", code="OK-1")
    response = upload(app_client, auth, collection(good, bad))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input" and "nothing was imported" in body["message"]
    (problem,) = body["problems"]
    assert problem["where"].startswith("feature 1")
    assert bad["properties"]["name"] in problem["where"]
    assert expected in problem["message"]
    assert zones_service.list_zones(db, scope=scope(city))[1] == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({"type": "Feature"}).encode(), "expected a FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "non-empty list"),
    ],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(
    app_client: TestClient, auth: dict, raw: bytes, expected: str
):
    response = upload(app_client, auth, raw)
    assert response.status_code == 422
    assert expected in response.json()["problems"][0]["message"]


def test_a_file_over_the_size_limit_is_refused(app_client: TestClient, auth: dict):
    response = upload(app_client, auth, b" " * (transfer.MAX_IMPORT_BYTES + 10))
    assert response.status_code == 422
    assert "at most" in response.json()["problems"][0]["message"]


def test_problems_in_several_features_are_all_listed(app_client: TestClient, auth: dict):
    raw = collection(feature(kind="x", name="A"), feature(), feature(kind="slow", name="C"))
    problems = upload(app_client, auth, raw).json()["problems"]
    assert [p["where"].split(" “")[0] for p in problems] == ["feature 0", "feature 2"]


def test_wrong_ring_order_is_repaired_and_reported_and_dry_run_writes_nothing(
    app_client: TestClient, auth: dict, db: Session, city: City
):
    raw = collection(feature(geometry=square(clockwise=True), name="Clockwise", code="CW"))
    preview = upload(app_client, auth, raw, dry_run="true")
    assert preview.status_code == 200, preview.text
    report = ImportReport.model_validate(preview.json())
    assert report.dry_run and report.repairs == 1 and report.zones[0].id is None
    assert "right-hand rule" in report.zones[0].repairs[0]
    assert zones_service.list_zones(db, scope=scope(city))[1] == 0

    done = ImportReport.model_validate(upload(app_client, auth, raw, publish="true").json())
    assert done.zones[0].id is not None and done.published
    zone = zones_service.get_or_raise(db, scope=scope(city), zone_id=done.zones[0].id)
    assert zone.phase == "published"


def test_duplicate_codes_are_refused(app_client: TestClient, auth: dict):
    raw = collection(feature(code="X"), feature(code="X", name="Again"))
    problems = upload(app_client, auth, raw).json()["problems"]
    assert "appears twice" in problems[0]["message"]


def test_export_then_import_gives_the_same_zones(
    app_client: TestClient, auth: dict, db: Session, city: City
):
    raw = collection(
        feature(
            name="Slow",
            kind="slow",
            speed_limit_kph=10,
            code="S1",
            schedule={"days": ["fri", "sat"], "start": "22:00", "end": "06:00"},
        ),
        feature(
            name="Spot",
            kind="parking",
            capacity=8,
            radius_m=9,
            code="P1",
            geometry={"type": "Point", "coordinates": [LON, LAT]},
        ),
    )
    assert upload(app_client, auth, raw).status_code == 200
    exported = app_client.get("/api/v1/zones/export.geojson", headers=auth)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/geo+json")
    doc = ZoneFeatureCollection.model_validate(exported.json())
    assert {f.properties.code for f in doc.features} == {"S1", "P1"}

    # Re-importing needs fresh codes (the first zones are still live).
    again = exported.json()
    for f in again["features"]:
        f["properties"]["code"] += "-copy"
    assert upload(app_client, auth, json.dumps(again).encode()).status_code == 200
    page = ZonePage.model_validate(app_client.get("/api/v1/zones?size=10", headers=auth).json())
    by_code = {z.code: z for z in page.items}
    for code in ("S1", "P1"):
        original, copy = by_code[code], by_code[f"{code}-copy"]
        assert copy.geometry == original.geometry
        assert (copy.kind, copy.capacity, copy.speed_limit_kph, copy.radius_m, copy.schedule) == (
            original.kind,
            original.capacity,
            original.speed_limit_kph,
            original.radius_m,
            original.schedule,
        )


def test_buffered_export_has_polygons_only(app_client: TestClient, auth: dict):
    raw = collection(
        feature(
            kind="parking",
            capacity=3,
            radius_m=5,
            geometry={"type": "Point", "coordinates": [LON, LAT]},
        )
    )
    upload(app_client, auth, raw)
    doc = app_client.get("/api/v1/zones/export.geojson?buffered=true", headers=auth).json()
    assert {f["geometry"]["type"] for f in doc["features"]} == {"MultiPolygon"}
