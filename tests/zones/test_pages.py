"""The zone and event pages render for each role, with the controls that role may use."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.events import service as events_service
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.zones.helpers import make_zone, scope


def test_supervisor_sees_list_editor_and_history(app_client: TestClient, db: Session, city: City):
    zone = make_zone(db, city, ZoneKind.parking, publish=True, name="Hub at Abay")
    builders.make_user(db, city, username="pg-sup", role=Role.supervisor)
    builders.login(app_client, "pg-sup")
    listing = app_client.get("/zones")
    assert listing.status_code == 200
    assert 'data-testid="zone-new"' in listing.text and "Hub at Abay" in listing.text
    rows = app_client.get("/zones/rows?kind=no_parking")
    assert "Hub at Abay" not in rows.text and 'data-testid="zones-empty"' in rows.text
    editor = app_client.get(f"/zones/{zone.id}")
    assert editor.status_code == 200
    assert (
        'data-testid="zone-retire"' in editor.text and 'data-testid="zone-history"' in editor.text
    )
    assert app_client.get("/zones/new").status_code == 200


def test_company_rep_reads_published_zones_without_edit_controls(
    app_client: TestClient, db: Session, city: City
):
    draft = make_zone(db, city, name="Secret draft")
    make_zone(db, city, name="Public rule", publish=True)
    builders.make_user(db, city, username="pg-rep", role=Role.company_rep, company_slug="jet")
    builders.login(app_client, "pg-rep")
    listing = app_client.get("/zones")
    assert "Public rule" in listing.text and "Secret draft" not in listing.text
    assert 'data-testid="zone-new"' not in listing.text
    assert app_client.get(f"/zones/{draft.id}").status_code == 404
    assert app_client.get("/zones/new").status_code == 403


def test_event_pages_plan_and_show_an_event(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="pg-ev", role=Role.supervisor)
    builders.login(app_client, "pg-ev")
    page = app_client.get("/events")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {
        "csrf_token": token,
        "name": "Concert",
        "venue": "Central Stadium",
        "starts_at": "2031-07-01T19:00",
        "ends_at": "2031-07-01T22:00",
        "template": "true",
    }
    planned = app_client.post("/events", data=form, follow_redirects=False)
    assert planned.status_code == 303, planned.text
    detail = app_client.get(planned.headers["location"])
    assert detail.text.count('data-testid="event-zone"') == 5
    assert "2031-07-01 19:00" in detail.text  # shown in city time, as typed
    (event,) = events_service.list_events(db, scope=scope(city))[0]
    assert event.starts_at.hour == 14  # 19:00 in Almaty is 14:00 UTC
