"""The compliance API and pages on both databases: GeoJSON, filters, isolation, thresholds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance import jobs
from tartip.compliance.schemas import (
    CompanyAdoptionRead,
    DutyZoneRead,
    ThresholdsRead,
    ViolationFeature,
    ViolationFeatureCollection,
)
from tartip.core.clock import utcnow
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.compliance.conftest import MINUTE, park, publish_zone
from tests.compliance.synthetic import offset, square

C = (76.9450, 43.2380)
API = "/api/v1"


@pytest.fixture
def seeded(db: Session, city: City, feeds) -> dict[str, int]:
    """Jet and Whoosh each with vehicles in a no-parking area, and a parking place over capacity."""
    now = utcnow()
    zone = publish_zone(db, city, ZoneKind.no_parking, square(*C, 40), at=now - 60 * MINUTE)
    place = publish_zone(
        db,
        city,
        ZoneKind.parking,
        square(*offset(*C, 500, 0), 10),
        at=now - 60 * MINUTE,
        capacity=1,
        name="Abay hub",
    )
    publish_zone(db, city, ZoneKind.duty, square(*C, 300), at=now - 60 * MINUTE, target_load=2)
    park(db, feeds["jet"], C, since=now - 10 * MINUTE, vehicle_id="jet-1")
    park(db, feeds["whoosh"], offset(*C, 5, 0), since=now - 10 * MINUTE, vehicle_id="RIVAL-w1")
    park(db, feeds["jet"], offset(*C, 500, 0), since=now - MINUTE, vehicle_id="jet-2")
    park(db, feeds["whoosh"], offset(*C, 502, 0), since=now - MINUTE, vehicle_id="RIVAL-w2")
    jobs.evaluate(db, city=city, at=now)
    return {"zone": zone.id, "place": place.id}


def sign_in(
    app_client: TestClient, db: Session, city: City, role: Role, company: str | None = None
) -> None:
    username = f"u-{role}-{company}"
    if auth_service.get_by_username(db, username=username) is None:
        builders.make_user(db, city, username=username, role=role, company_slug=company)
    builders.login(app_client, username)


def test_supervisors_get_violations_as_geojson_with_filters(app_client, db, city, seeded):
    sign_in(app_client, db, city, Role.supervisor)
    r = app_client.get(f"{API}/violations")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = ViolationFeatureCollection.model_validate(r.json())
    kinds = sorted(f.properties.kind.value for f in body.features)
    assert kinds == ["no_parking", "no_parking", "over_capacity"]
    one = next(f for f in body.features if f.properties.kind == "over_capacity")
    assert one.properties.zone_name == "Abay hub" and one.properties.count == 2
    assert one.properties.by_company == {"jet": 1, "whoosh": 1}
    assert one.geometry.coordinates[0] == pytest.approx(offset(*C, 501, 0)[0])
    by_company = app_client.get(f"{API}/violations", params={"company": "whoosh"}).json()
    assert {f["properties"]["company"] for f in by_company["features"]} == {"whoosh"}
    by_zone = app_client.get(f"{API}/violations", params={"zone": seeded["zone"]}).json()
    assert by_zone["total"] == 2
    by_kind = app_client.get(f"{API}/violations", params={"kind": "over_capacity"}).json()
    assert by_kind["total"] == 1
    assert app_client.get(f"{API}/violations", params={"state": "closed"}).json()["total"] == 0
    detail = app_client.get(f"{API}/violations/{one.id}")
    assert ViolationFeature.model_validate(detail.json()).properties.vehicles_total == 2


def test_a_company_rep_sees_only_its_own_violations_and_404_on_a_rival(
    app_client, db, city, seeded
):
    sign_in(app_client, db, city, Role.company_rep, "jet")
    body = app_client.get(f"{API}/violations", params={"state": "all"}).json()
    assert [f["properties"]["company"] for f in body["features"]] == ["jet"]
    assert "RIVAL" not in str(body) and "whoosh" not in str(body)
    rival = app_client.get(f"{API}/violations", params={"company": "whoosh"}).json()
    assert rival["total"] == 0
    sign_in(app_client, db, city, Role.supervisor)
    everything = app_client.get(f"{API}/violations").json()["features"]
    theirs = [f["id"] for f in everything if f["properties"]["company"] != "jet"]
    sign_in(app_client, db, city, Role.company_rep, "jet")
    for violation_id in theirs:
        r = app_client.get(f"{API}/violations/{violation_id}")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert app_client.get(f"{API}/duty-zones/board").status_code == 403
    assert app_client.get(f"{API}/compliance/thresholds").status_code == 403


def test_thresholds_are_read_and_set_by_staff_with_an_audit_entry(app_client, db, city):
    sign_in(app_client, db, city, Role.supervisor)
    token = app_client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    headers = {"X-CSRF-Token": token}
    r = app_client.put(
        f"{API}/compliance/thresholds/kind:parking", json={"capacity_tolerance": 2}, headers=headers
    )
    assert r.status_code == 200, r.text
    body = ThresholdsRead.model_validate(app_client.get(f"{API}/compliance/thresholds").json())
    assert body.defaults.clutter_count == 5
    assert [(o.level, o.values) for o in body.overrides] == [
        ("kind:parking", {"capacity_tolerance": 2})
    ]
    bad = app_client.put(
        f"{API}/compliance/thresholds/kind:parking", json={"clutter_count": 0}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "clutter_count"
    wrong_level = app_client.put(f"{API}/compliance/thresholds/street", json={}, headers=headers)
    assert wrong_level.status_code == 422
    audit = db.query(AuditEntry).filter(AuditEntry.action == "compliance_threshold.set").all()
    assert len(audit) == 1 and audit[0].after == {"capacity_tolerance": 2}


def test_the_duty_board_api_and_pages_render(app_client, db, city, seeded):
    sign_in(app_client, db, city, Role.supervisor)
    board = [
        DutyZoneRead.model_validate(x) for x in app_client.get(f"{API}/duty-zones/board").json()
    ]
    assert [(z.load, z.target_load, z.over_target) for z in board] == [(2, 2, False)]
    for path, testid in (
        ("/compliance/violations", "violations-table"),
        ("/compliance/violations?kind=over_capacity&state=all", "violations-table"),
        ("/compliance/duty", "duty-board"),
        ("/compliance/adoption", "adoption-page"),
    ):
        page = app_client.get(path)
        assert page.status_code == 200 and f'data-testid="{testid}"' in page.text, path
    assert "Abay hub" in app_client.get("/compliance/violations").text


def test_pages_ask_to_sign_in(app_client):
    r = app_client.get(
        "/compliance/violations", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_rule_adoption_api_a_rep_sees_only_its_own_row(app_client, db, city, feeds):
    publish_zone(db, city, ZoneKind.no_ride, square(*C, 100), at=utcnow() - MINUTE, name="Park")
    sign_in(app_client, db, city, Role.supervisor)
    rows = [
        CompanyAdoptionRead.model_validate(x) for x in app_client.get(f"{API}/rule-adoption").json()
    ]
    assert {r.company for r in rows} == {"jet", "yandex-go", "whoosh"}
    assert all(r.rules[0].status == "no_geofences" for r in rows)
    sign_in(app_client, db, city, Role.company_rep, "whoosh")
    (own,) = app_client.get(f"{API}/rule-adoption").json()
    assert own["company"] == "whoosh"


def test_the_list_page_shows_times_in_city_time(app_client, db, city, feeds):
    at = datetime(2026, 6, 5, 7, 0, tzinfo=UTC)  # 12:00 in Almaty
    publish_zone(db, city, ZoneKind.no_parking, square(*C, 40), at=at - 60 * MINUTE)
    park(db, feeds["jet"], C, since=at - 10 * MINUTE)
    jobs.evaluate(db, city=city, at=at)
    sign_in(app_client, db, city, Role.supervisor)
    page = app_client.get("/compliance/violations", params={"kind": "no_parking"})
    assert "2026-06-05 12:00:00" in page.text
