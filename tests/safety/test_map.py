"""The safety map and its pages on both databases: layers, suggestions, what a company sees."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.safety.hotspots import Grid, HotspotRule
from tartip.safety.models import Incident
from tartip.safety.schemas import SafetyMap, SuggestionRead
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.zones.helpers import make_zone, square

API = "/api/v1/safety"
# Two places 5 km apart: an avenue with no rule, and a square already slowed down.
AVENUE = (76.9100, 43.2500)
SLOWED = (76.9600, 43.2300)


def centre(city: City, lon: float, lat: float) -> tuple[float, float]:
    grid = Grid(HotspotRule().cell_m, city.center_lat)
    south, west, north, east = grid.bounds(grid.cell_of(lon, lat))
    return (west + east) / 2, (south + north) / 2


def incident(
    db: Session, city: City, at: tuple[float, float], *, company: str, severity: str
) -> None:
    db.add(
        Incident(
            city_id=city.id,
            kind="collision",
            severity=severity,
            source="staff",
            occurred_at=utcnow() - timedelta(days=3),
            lon=at[0],
            lat=at[1],
            company_id=builders.company(db, city, company).id,
            injured=int(severity != "none"),
            reported_by="test",
        )
    )


def seed(db: Session, city: City) -> None:
    avenue, slowed = centre(city, *AVENUE), centre(city, *SLOWED)
    make_zone(db, city, ZoneKind.slow, publish=True, geometry=square(*slowed, d=0.01))
    for severity in ("minor", "none", "none"):
        incident(db, city, avenue, company="jet", severity=severity)
    for severity in ("serious", "minor", "minor"):
        incident(db, city, slowed, company="whoosh", severity=severity)
    for i in range(5):  # clutter on the avenue, Jet's vehicles
        db.add(
            Violation(
                city_id=city.id,
                kind=ViolationKind.clutter,
                key=f"c{i}",
                lon=avenue[0],
                lat=avenue[1],
                company_id=builders.company(db, city, "jet").id,
                opened_at=utcnow() - timedelta(days=2),
            )
        )
    db.flush()


def test_the_map_overlays_incidents_zones_clutter_and_suggestions(
    app_client: TestClient, db: Session, city: City
):
    seed(db, city)
    boss = builders.make_user(db, city, username="boss", role=Role.supervisor)
    headers = {"Authorization": f"Bearer {builders.token_for(db, boss)}"}
    answer = app_client.get(f"{API}/map", headers=headers)
    assert answer.status_code == 200, answer.text
    found = SafetyMap.model_validate(answer.json())
    layers = [f["properties"]["layer"] for f in found.features]
    assert layers.count("incident") == 6
    assert layers.count("zone") == 1
    assert [
        f["properties"]["count"] for f in found.features if f["properties"]["layer"] == "clutter"
    ] == [5]
    # The avenue: 3 incidents, 1 injury, no slow zone -> a slow zone; with 5 clutter -> parking.
    # The slowed square: 3 injuries, but it is already a slow zone -> nothing.
    suggestions = [
        SuggestionRead.model_validate(s)
        for s in app_client.get(f"{API}/suggestions", headers=headers).json()
    ]
    assert sorted((s.action, s.incidents, s.injuries, s.clutter) for s in suggestions) == [
        ("parking", 3, 1, 5),
        ("slow_zone", 3, 1, 5),
    ]
    assert all(abs(s.lon - centre(city, *AVENUE)[0]) < 1e-9 for s in suggestions)
    assert found.rule["slow_min_incidents"] == 3

    page = app_client.get("/safety", headers=headers)
    assert page.status_code == 200
    assert page.text.count('data-testid="suggestion-row"') == 2
    assert page.text.count('data-testid="incident-row"') == 6


def test_a_company_sees_only_its_own_incidents_and_clutter(
    app_client: TestClient, db: Session, city: City
):
    seed(db, city)
    rep = builders.make_user(
        db, city, username="whoosh-rep", role=Role.company_rep, company_slug="whoosh"
    )
    headers = {"Authorization": f"Bearer {builders.token_for(db, rep)}"}
    found = SafetyMap.model_validate(app_client.get(f"{API}/map", headers=headers).json())
    incidents = [f["properties"] for f in found.features if f["properties"]["layer"] == "incident"]
    assert {p["company"] for p in incidents} == {"whoosh"} and len(incidents) == 3
    assert not [f for f in found.features if f["properties"]["layer"] == "clutter"]
    assert "jet" not in app_client.get(f"{API}/map", headers=headers).text


def test_staff_record_an_incident_from_the_page(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="boss", role=Role.supervisor)
    builders.login(app_client, "boss")
    page = app_client.get("/safety")
    assert page.status_code == 200 and 'data-testid="incident-form"' in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    when = (utcnow() + timedelta(hours=5) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "csrf_token": token, "kind": "fall", "severity": "serious", "occurred_at": when,
        "lat": "43.25", "lon": "76.91", "company": "jet", "injured": "1",
    }  # fmt: skip
    sent = app_client.post("/safety/incidents", data=form, follow_redirects=False)
    assert sent.status_code == 303
    listed = app_client.get(f"{API}/incidents").json()
    assert listed["total"] == 1
    assert listed["items"][0]["severity"] == "serious" and listed["items"][0]["company"] == "jet"
