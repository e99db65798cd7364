"""Zones in a real browser: a supervisor draws a no-parking area on the map, saves it as a draft,
publishes it, and it is in force in the list and in the open GBFS feed; the live map draws open
violations."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tests import builders
from tests.e2e.conftest import CENTRE, SUPERVISOR, Server
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.map_page import MapPage
from tests.e2e.pages.zones_page import ZoneListPage

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

GBFS = "/api/v1/rules/gbfs/3.0/geofencing_zones.json"


def seed_more(db: Session, city: City) -> None:
    """One open violation: a Jet vehicle left in a no-parking area by the centre."""
    jet = builders.company(db, city, "jet")
    opened = utcnow() - timedelta(minutes=5)
    db.add(
        Violation(
            city_id=city.id,
            kind=ViolationKind.no_parking,
            key=f"no_parking:e2e:c{jet.id}",
            open_key=f"no_parking:e2e:c{jet.id}",
            company_id=jet.id,
            count=1,
            max_count=1,
            lon=CENTRE[0] + 0.001,
            lat=CENTRE[1] + 0.001,
            evidence={"vehicles_total": 1, "by_company": {"jet": 1}, "zone_name": "Metro exit"},
            first_seen_at=opened,
            opened_at=opened,
            last_seen_at=utcnow(),
        )
    )


def sign_in(page: Page) -> None:
    LoginPage(page).open().sign_in(SUPERVISOR)
    expect(page).to_have_url(re.compile(r"/map$"))


def test_a_supervisor_draws_publishes_and_the_companies_get_the_zone(page: Page, server: Server):
    sign_in(page)
    editor = ZoneListPage(page).open().draw_new()
    editor.draw_polygon([(0.35, 0.3), (0.65, 0.3), (0.65, 0.7), (0.35, 0.7)])
    editor.fill(name="Drawn metro exit", kind="no_parking")
    expect(editor.field("capacity")).to_be_hidden()  # only parking places have a capacity
    editor.save()
    expect(editor.phase).to_have_attribute("data-phase", "draft")
    expect(editor.shapes).to_have_count(1)  # the saved polygon, drawn back from the API
    zone_id = editor.zone_id

    editor.publish()
    listing = ZoneListPage(page).open()
    row = listing.row("Drawn metro exit")
    expect(row).to_have_attribute("data-phase", "published")
    expect(row).to_have_attribute("data-kind", "no_parking")

    feed = httpx.get(f"{server.base_url}{GBFS}", timeout=10).json()
    (zone,) = [
        f
        for f in feed["data"]["geofencing_zones"]["features"]
        if f["properties"]["name"][0]["text"] == "Drawn metro exit"
    ]
    assert zone["geometry"]["type"] == "MultiPolygon"
    ring = zone["geometry"]["coordinates"][0][0]
    assert len(ring) == 5 and ring[0] == ring[-1]  # four corners, closed
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    # Around the map's centre, where it opened (the city's centre), at a street's scale.
    assert min(lons) < CENTRE[0] + 0.01 and max(lons) > CENTRE[0] - 0.01
    assert 0.001 < max(lats) - min(lats) < 0.02
    rules = zone["properties"]["rules"]
    assert rules[0]["ride_start_allowed"] is False and rules[0]["ride_end_allowed"] is False
    assert zone_id > 0


def test_the_live_map_draws_open_violations(page: Page):
    sign_in(page)
    live = MapPage(page).wait_ready()
    violations = page.locator("path.violation")
    expect(violations).to_have_count(1)
    expect(page.locator("path.violation-no_parking")).to_have_count(1)
    page.get_by_test_id("layer-violations").uncheck()
    expect(violations).to_have_count(0)
    assert live.map.is_visible()
