"""The dashboards in a real browser, on both databases: a supervisor's live page refreshes itself,
a wall screen keeps its picture when a poll fails, and a city viewer sees the hex map drawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, Route, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tests import builders
from tests.e2e.conftest import PER_COMPANY, SUPERVISOR, Server
from tests.e2e.pages.login_page import LoginPage

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VIEWER = "e2e-dash-viewer"
REFRESH_S = 10  # the shortest refresh a screen may ask for
ALMALY = (76.9057, 43.2520)


def seed_more(db: Session, city: City) -> None:
    """A city viewer, and a clutter that opened an hour ago in Almaly."""
    builders.make_user(db, city, username=VIEWER, role=Role.city_viewer)
    opened = utcnow() - timedelta(hours=1)
    db.add(
        Violation(
            city_id=city.id,
            kind=ViolationKind.clutter,
            key="e2e-clutter",
            open_key="e2e-clutter",
            lon=ALMALY[0],
            lat=ALMALY[1],
            opened_at=opened,
            last_seen_at=opened,
        )
    )


class LivePage:
    """The live operations page, or its wall-screen mode."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, *, wall: bool = False) -> LivePage:
        path = "/dashboards/wall" if wall else "/dashboards/live"
        self.page.goto(f"{path}?every={REFRESH_S}")
        return self

    def tile(self, name: str) -> Locator:
        return self.page.get_by_test_id(f"tile-{name}").locator(".n")

    @property
    def panel(self) -> Locator:
        return self.page.get_by_test_id("live-panel")

    @property
    def stale_note(self) -> Locator:
        return self.page.get_by_test_id("stale-note")

    def as_of(self) -> str:
        return str(self.panel.get_attribute("data-as-of"))


class CityPage:
    """The city view."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> CityPage:
        self.page.goto("/dashboards/city")
        return self

    @property
    def hex_map(self) -> Locator:
        return self.page.get_by_test_id("hex-map")


def test_the_live_page_refreshes_itself(page: Page, server: Server):
    LoginPage(page).open().sign_in(SUPERVISOR)
    page.get_by_test_id("nav-dashboards").click()
    expect(page).to_have_url(f"{server.base_url}/dashboards/live")
    live = LivePage(page).open()
    expect(live.tile("vehicles")).to_have_text(str(3 * PER_COMPANY))
    expect(live.tile("feeds-down")).to_have_text("1")  # Yandex Go's feed is down
    expect(live.tile("violations-open")).to_have_text("1")
    expect(page.get_by_test_id("live-feeds").locator("tr.health-down")).to_have_count(1)
    first = live.as_of()
    # htmx asks again after REFRESH_S seconds and swaps the new picture in.
    expect(live.panel).not_to_have_attribute("data-as-of", first, timeout=(REFRESH_S + 8) * 1000)
    expect(live.stale_note).to_be_hidden()


def test_a_wall_screen_keeps_its_picture_when_a_poll_fails(page: Page, server: Server):
    LoginPage(page).open().sign_in(SUPERVISOR)
    live = LivePage(page).open(wall=True)
    expect(page.get_by_test_id("wall-page")).to_be_visible()
    expect(page.locator(".topbar")).to_have_count(0)
    expect(live.tile("vehicles")).to_have_text(str(3 * PER_COMPANY))

    def signed_out(route: Route) -> None:
        route.fulfill(status=401, content_type="application/json", body='{"code":"x"}')

    page.route("**/dashboards/live/panel*", signed_out)
    expect(live.stale_note).to_be_visible(timeout=(REFRESH_S + 8) * 1000)
    # The last picture stays on the screen, dimmed, instead of an error or a login form.
    expect(live.tile("vehicles")).to_have_text(str(3 * PER_COMPANY))
    expect(live.panel).to_have_class("live-panel is-stale")
    page.unroute("**/dashboards/live/panel*")
    expect(live.stale_note).to_be_hidden(timeout=(REFRESH_S + 8) * 1000)


def test_a_city_viewer_sees_the_hex_map_and_the_trends(page: Page, server: Server):
    LoginPage(page).open().sign_in(VIEWER)
    city = CityPage(page).open()
    expect(city.hex_map).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("hex-total")).to_have_text("1")
    expect(page.get_by_test_id("trend-violations").get_by_test_id("trend-last")).to_have_text("1")
    expect(page.get_by_test_id("district-almaly")).to_be_visible()
    # The city's officials read the live board too (decision 0083).
    page.get_by_role("link", name="Live operations").click()
    expect(page.get_by_test_id("live-page")).to_be_visible()
