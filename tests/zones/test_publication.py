"""Rules published to the companies: GBFS 2.3/3.0 geofencing and MDS 2.0 Geography/Policy.

Every document is validated against the official schemas; the endpoints are open (no sign-in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.zones import gbfs, mds
from tartip.zones import service as zones_service
from tartip.zones.demo import demo_features, seed_demo_zones
from tartip.zones.enums import ZoneKind
from tartip.zones.schemas import ZoneUpdate
from tests.zones.helpers import LAT, LON, gbfs_validator, make_zone, mds_errors, scope, square

MDS_ACCEPT = {"Accept": "application/vnd.mds+json;version=2.0"}


@pytest.fixture
def rules_city(db: Session, city: City) -> City:
    """A city with one zone of each public kind, a capped service area, a scheduled slow zone."""
    make_zone(db, city, ZoneKind.no_ride, publish=True, name="Park", geometry=square(d=0.003))
    make_zone(db, city, ZoneKind.no_parking, publish=True, name="Metro", geometry=square(d=0.0005))
    make_zone(
        db, city, ZoneKind.parking, publish=True, name="Spot", radius_m=8,
        geometry={"type": "Point", "coordinates": [LON + 0.01, LAT]},
    )  # fmt: skip
    make_zone(
        db, city, ZoneKind.slow, publish=True, name="Night slow", geometry=square(LON - 0.01, LAT),
        schedule={"start": "00:00", "end": "00:00"},
    )  # fmt: skip
    area = make_zone(
        db, city, ZoneKind.service_area, publish=True, name="Centre", geometry=square(d=0.05),
        speed_limit_kph=25, fleet_caps={"jet": 100}, parking_required=True,
    )  # fmt: skip
    make_zone(db, city, ZoneKind.duty, publish=True, name="Duty", target_load=20)
    make_zone(db, city, ZoneKind.no_parking, name="Draft only")
    zones_service.update(
        db, scope=scope(city), zone_id=area.id, data=ZoneUpdate(speed_limit_kph=20)
    )
    return city


@pytest.mark.parametrize("version", ["2.3", "3.0"])
def test_gbfs_geofencing_is_schema_valid_and_ordered(
    app_client: TestClient, rules_city: City, version: str
):
    response = app_client.get(f"/api/v1/rules/gbfs/{version}/geofencing_zones.json")
    assert response.status_code == 200
    doc = response.json()
    errors = [e.message for e in gbfs_validator(version).iter_errors(doc)]
    assert errors == []
    names = [f["properties"]["name"] for f in doc["data"]["geofencing_zones"]["features"]]
    if version == "3.0":
        names = [n[0]["text"] for n in names]
        assert doc["data"]["global_rules"][0]["ride_end_allowed"] is False
    # Most specific first; duty zones and drafts are not published to the companies.
    assert names == ["Spot", "Park", "Metro", "Night slow", "Centre"]
    first_rule = doc["data"]["geofencing_zones"]["features"][-1]["properties"]["rules"][0]
    assert first_rule["maximum_speed_kph"] == 20 and first_rule["station_parking"] is True


def test_gbfs_zones_follow_their_validity_period(db: Session, city: City):
    now = utcnow()
    make_zone(
        db, city, ZoneKind.no_parking, publish=True, name="Later",
        active_from=now + timedelta(hours=1), active_until=now + timedelta(hours=2),
    )  # fmt: skip
    rules = zones_service.in_force(db, city_id=city.id, at=now + timedelta(seconds=5))

    def names(moment: datetime) -> list[str]:
        doc = gbfs.geofencing_zones(rules, version="2.3", at=moment, language="ru")
        return [f["properties"]["name"] for f in doc["data"]["geofencing_zones"]["features"]]

    moments = (now, now + timedelta(minutes=90), now + timedelta(hours=3))
    assert [names(m) for m in moments] == [[], ["Later"], []]
    doc = gbfs.geofencing_zones(rules, version="2.3", at=now + timedelta(minutes=90), language="ru")
    assert list(gbfs_validator("2.3").iter_errors(doc)) == []


def test_mds_geographies_are_schema_valid_immutable_versions(
    app_client: TestClient, rules_city: City
):
    response = app_client.get("/api/v1/rules/mds/geographies", headers=MDS_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mds+json;version=2.0"
    body = response.json()
    assert mds_errors("geography", "/geographies", body) == []
    centre = [g for g in body["geographies"] if g["name"] == "Centre"]
    assert len(centre) == 2  # the first version stays listed, the second names it
    assert centre[1]["prev_geographies"] == [centre[0]["geography_id"]]
    assert "retire_date" in centre[0]
    assert all(g["name"] != "Duty" for g in body["geographies"])
    one = app_client.get(f"/api/v1/rules/mds/geographies/{centre[0]['geography_id']}")
    assert one.status_code == 200
    assert mds_errors("geography", "/geographies/{geography_id}", one.json()) == []
    assert app_client.get("/api/v1/rules/mds/geographies/nope").status_code == 404


def test_mds_policies_are_schema_valid_and_start_after_twenty_minutes(
    app_client: TestClient, rules_city: City
):
    body = app_client.get("/api/v1/rules/mds/policies.json", headers=MDS_ACCEPT).json()
    assert mds_errors("policy", "/policies.json", body) == []
    policies = body["policies"]
    assert all(p["start_date"] - p["published_date"] >= 20 * 60 * 1000 for p in policies)
    kinds = {r["rule_type"] for p in policies for r in p["rules"]}
    assert kinds == {"count", "speed"}
    names = {r["name"] for p in policies for r in p["rules"]}
    assert {"No parking", "No riding or parking", "Speed limit", "Fleet cap", "Parking places",
            "Parking only in parking places", "Parking place capacity"} <= names  # fmt: skip
    caps = [p for p in policies if p["rules"][0]["name"] == "Fleet cap"]
    assert all(len(p["provider_ids"]) == 1 for p in caps)
    slow = next(
        r for p in policies for r in p["rules"] if r["name"] == "Speed limit" and "days" in r
    )
    assert slow["start_time"] == "00:00:00" and slow["end_time"] == "23:59:59"
    replaced = [p for p in policies if p.get("prev_policies")]
    assert replaced and all(
        p["prev_policies"][0] in {q["policy_id"] for q in policies} for p in replaced
    )

    current = app_client.get("/api/v1/rules/mds/policies", headers=MDS_ACCEPT).json()
    assert mds_errors("policy", "/policies", current) == []
    one_id = current["policies"][0]["policy_id"]
    one = app_client.get(f"/api/v1/rules/mds/policies/{one_id}", headers=MDS_ACCEPT)
    assert mds_errors("policy", "/policies/{policy_id}", one.json()) == []


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/vnd.mds+json;version=2.0", 200),
        ("application/vnd.mds+json; version=2.0, application/json;q=0.5", 200),
        ("application/json", 200),
        (None, 200),
        ("application/vnd.mds+json;version=1.2", 406),
        ("application/vnd.mds+json", 406),
    ],
)
def test_mds_version_negotiation(
    app_client: TestClient, city: City, accept: str | None, status: int
):
    headers = {"Accept": accept} if accept else {}
    response = app_client.get("/api/v1/rules/mds/policies", headers=headers)
    assert response.status_code == status


def test_the_publication_endpoints_are_open_and_listed(app_client: TestClient, city: City):
    document = app_client.get("/openapi.json").json()
    paths = [p for p in document["paths"] if p.startswith("/api/v1/rules/")]
    assert len(paths) == 8
    for path in paths:
        operation = document["paths"][path]["get"]
        assert "security" not in operation and operation["operationId"].startswith("rules-")


def test_the_demo_zones_are_valid_inside_the_city_and_publishable(db: Session, city: City):
    features = demo_features()
    kinds = [f["properties"]["kind"] for f in features]
    assert kinds.count("duty") == 15
    assert {"parking", "no_parking", "slow", "no_ride", "service_area"} <= set(kinds)
    assert city.boundary is not None
    for f in features:
        assert shape(f["geometry"]).is_valid, f["properties"]["code"]
    created = seed_demo_zones(db, city)
    assert len(created) == len(features)
    assert seed_demo_zones(db, city) == []  # idempotent
    assert all(city.boundary.buffer(0.0005).covers(z.area) for z in created)
    rules = zones_service.in_force(db, city_id=city.id, at=datetime.now(UTC))
    for version in ("2.3", "3.0"):
        doc = gbfs.geofencing_zones(rules, version=version, at=datetime.now(UTC), language="ru")  # type: ignore[arg-type]
        assert list(gbfs_validator(version).iter_errors(doc)) == []
    publication = mds.Publication(versions=rules, provider_ids={})
    body = {
        "version": "2.0.0",
        "last_updated": mds.ms(datetime.now(UTC)),
        "policies": mds.policies(publication),
    }
    assert mds_errors("policy", "/policies.json", body) == []
