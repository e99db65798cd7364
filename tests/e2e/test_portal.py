"""The companies' portal in a real browser: Jet's representative signs in, lands on Jet's portal,
sees Jet's violations (on the map and in detail), feed health and rules, and cannot open Whoosh's
by changing the address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.geo import geometry_to_geojson
from tartip.feeds.enums import PullOutcome
from tartip.feeds.models import Feed, FeedPull
from tartip.zones import service as zones_service
from tartip.zones.schemas import ZoneCreate
from tests import builders
from tests.e2e.conftest import CENTRE, Server
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.portal_page import PortalPage

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

JET_REP = "e2e-rep-jet"
# Row ids of what seed_more made, per backend's fresh database (rewritten before each server).
SEEDED: dict[str, int] = {}


def _violation(db: Session, company: Company, tag: str, lon: float) -> Violation:
    opened = utcnow() - timedelta(minutes=30)
    key = f"no_parking:e2e:{tag}"
    violation = Violation(
        city_id=company.city_id,
        kind=ViolationKind.no_parking,
        key=key,
        open_key=key,
        company_id=company.id,
        count=1,
        max_count=1,
        lon=lon,
        lat=CENTRE[1],
        vehicles=[
            {
                "id": 0,
                "vehicle_id": f"{tag}-scooter",
                "company_id": company.id,
                "lon": lon,
                "lat": CENTRE[1],
                "parked_since": opened.isoformat(),
            }
        ],
        evidence={"vehicles_total": 1, "zone_name": f"{tag} metro exit"},
        first_seen_at=opened,
        opened_at=opened,
        last_seen_at=utcnow(),
    )
    db.add(violation)
    db.flush()
    return violation


def _zone(db: Session, city: City, name: str, slug: str, lon: float) -> int:
    who = Scope(user_id=None, username="e2e", role=Role.supervisor, city_id=city.id)
    shape = box(lon - 0.002, CENTRE[1] - 0.002, lon + 0.002, CENTRE[1] + 0.002)
    data = ZoneCreate.model_validate(
        {
            "kind": "slow",
            "name": name,
            "speed_limit_kph": 10,
            "companies": [slug],
            "geometry": geometry_to_geojson(shape),
        }
    )
    zone = zones_service.create(db, scope=who, data=data)
    zones_service.publish(db, scope=who, zone_id=zone.id, at=utcnow() - timedelta(hours=1))
    return zone.id


def _pull(db: Session, feed: Feed, tag: str) -> None:
    db.add(
        FeedPull(
            city_id=feed.city_id,
            feed_id=feed.id,
            file="vehicle_status",
            url=feed.url,
            started_at=utcnow() - timedelta(minutes=1),
            outcome=PullOutcome.error,
            http_status=503,
            error=f"{tag}: 503 Service Unavailable",
        )
    )


def seed_more(db: Session, city: City) -> None:
    """Jet's representative; a violation, a zone and a failed fetch for Jet and for Whoosh."""
    builders.make_user(db, city, username=JET_REP, role=Role.company_rep, company_slug="jet")
    for slug, tag, lon in (("jet", "Jet", CENTRE[0]), ("whoosh", "Whoosh", CENTRE[0] + 0.02)):
        company = builders.company(db, city, slug)
        SEEDED[f"{slug}_violation"] = _violation(db, company, tag, lon).id
        SEEDED[f"{slug}_zone"] = _zone(db, city, f"{tag} slow lane", slug, lon)
        for feed in db.scalars(select(Feed).where(Feed.company_id == company.id)):
            SEEDED[f"{slug}_feed"] = feed.id
            _pull(db, feed, tag)


def test_jets_representative_sees_jets_portal_and_not_whooshs(page: Page, server: Server):
    LoginPage(page).open().sign_in(JET_REP)
    expect(page).to_have_url(re.compile(r"/portal$"))
    portal = PortalPage(page)
    expect(portal.company).to_have_text("Jet")
    expect(page.get_by_test_id("vehicles-total")).to_have_text("4")
    expect(page.get_by_test_id("violations-open")).to_have_text("1")

    portal.go("violations")
    expect(portal.markers("violations-map")).to_have_count(1)
    expect(portal.row(f"violation-{SEEDED['jet_violation']}")).to_be_visible()
    expect(portal.row(f"violation-{SEEDED['whoosh_violation']}")).to_have_count(0)
    portal.markers("violations-map").first.click()
    popup = page.get_by_test_id("map-popup")
    expect(popup).to_contain_text("Jet metro exit")
    popup.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/portal/violations/{SEEDED['jet_violation']}$"))
    expect(page.get_by_test_id("violation-vehicles")).to_contain_text("Jet-scooter")

    portal.go("feeds")
    expect(portal.row(f"feed-{SEEDED['jet_feed']}")).to_contain_text("Jet: 503 Service")
    expect(portal.row(f"feed-{SEEDED['whoosh_feed']}")).to_have_count(0)

    portal.go("rules")
    expect(portal.row(f"rule-{SEEDED['jet_zone']}")).to_contain_text("Jet slow lane")
    expect(portal.row(f"rule-{SEEDED['whoosh_zone']}")).to_have_count(0)
    expect(portal.markers("rules-map")).to_have_count(1)
    expect(page.get_by_test_id("link-gbfs-30")).to_have_attribute(
        "href", re.compile(r"geofencing_zones\.json\?company=jet$")
    )
    expect(page.locator("body")).not_to_contain_text("Whoosh")


def test_changing_the_address_does_not_open_whooshs_portal(page: Page, server: Server):
    LoginPage(page).open().sign_in(JET_REP)
    expect(page).to_have_url(re.compile(r"/portal$"))
    portal = PortalPage(page)
    tampered = {
        f"/portal/violations/{SEEDED['whoosh_violation']}": 404,
        "/portal?company=whoosh": 403,
        "/portal/violations?company=whoosh": 403,
        "/portal/feeds?company=whoosh": 403,
        "/portal/rules?company=whoosh": 403,
    }
    for path, status in tampered.items():
        answer = portal.visit(path)
        assert answer is not None and answer.status == status, path
        expect(page.locator("body")).not_to_contain_text("Whoosh metro exit")
        expect(page.locator("body")).not_to_contain_text("Whoosh: 503")
