"""The live map in a real browser: sign-in, vehicles, filters, details, feeds, sign-out."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PER_COMPANY, REP, SUPERVISOR, Server
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.map_page import MapPage

# One worker runs them all, so the servers and the browser start once.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def sign_in(page: Page, username: str = SUPERVISOR) -> MapPage:
    LoginPage(page).open().sign_in(username)
    if username == REP:
        # A company's staff start in their portal; the live map is one click away.
        expect(page).to_have_url(re.compile(r"/portal$"))
        return MapPage(page).open()
    expect(page).to_have_url(re.compile(r"/map$"))
    return MapPage(page).wait_ready()


def test_a_wrong_password_shows_an_error(page: Page):
    login = LoginPage(page).open()
    login.sign_in(SUPERVISOR, "not the password")
    expect(login.error).to_be_visible()
    expect(login.heading).to_be_visible()
    assert "/map" not in page.url


def test_vehicles_are_drawn_in_their_companys_colour(page: Page, server: Server):
    live = sign_in(page)
    for slug, ids in server.vehicles.items():
        expect(live.vehicles(slug)).to_have_count(len(ids))
        colour = live.vehicles(slug).first.get_attribute("fill")
        assert colour is not None and colour.lower() == server.colours[slug].lower(), slug
    expect(page.get_by_test_id("fleet-total")).to_have_text(str(3 * PER_COMPANY))


def test_the_company_filter_hides_a_company(page: Page, server: Server):
    live = sign_in(page)
    expect(live.vehicles("jet")).to_have_count(PER_COMPANY)
    live.company_filter("jet").uncheck()
    expect(live.vehicles("jet")).to_have_count(0)
    expect(live.vehicles("whoosh")).to_have_count(PER_COMPANY)
    live.company_filter("jet").check()
    expect(live.vehicles("jet")).to_have_count(PER_COMPANY)


def test_status_and_staleness_filters(page: Page):
    live = sign_in(page)
    page.get_by_test_id("status-filter-available").uncheck()
    expect(live.vehicles()).to_have_count(3)  # one disabled vehicle per company
    page.get_by_test_id("status-filter-available").check()
    page.get_by_test_id("stale-filter-stale").check(force=True)
    expect(live.vehicles()).to_have_count(PER_COMPANY)  # Yandex Go's feed is down
    expect(live.vehicles("yandex-go")).to_have_count(PER_COMPANY)


def test_clicking_a_vehicle_shows_its_details(page: Page, server: Server):
    live = sign_in(page)
    live.vehicle(server.history_vehicle_id).click()
    expect(live.details).to_be_visible()
    expect(page.get_by_test_id("detail-company")).to_have_text(server.company_names["jet"])
    expect(page.get_by_test_id("detail-vehicle-id")).to_have_text("jet-0")
    expect(page.get_by_test_id("detail-status")).to_have_text("Available")
    expect(page.get_by_test_id("detail-battery")).to_have_text("20 %")
    expect(page.get_by_test_id("detail-stale")).to_have_text("Fresh")
    expect(page.get_by_test_id("detail-history").locator("li")).to_have_count(2)
    page.get_by_test_id("details-close").click()
    expect(live.details).to_be_hidden()


def test_the_feed_health_panel_renders(page: Page, server: Server):
    live = sign_in(page)
    expect(live.feed_health).to_have_attribute("data-state", re.compile("ok|unavailable"))
    token_free = httpx.get(f"{server.base_url}/api/v1/feeds", follow_redirects=False)
    if token_free.status_code == 404:  # the feeds API is not there yet: the panel says so
        expect(page.get_by_test_id("feed-health-unavailable")).to_be_visible()
        return
    expect(live.feed_rows()).to_have_count(3)
    expect(live.feed_health).to_contain_text(server.company_names["yandex-go"])
    expect(live.feed_health.locator('[data-health="down"]')).to_have_count(1)


# Layout and tiles do not depend on the database: one backend is enough.
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_map_works_without_tiles(page: Page, server: Server):
    live = sign_in(page)
    expect(live.tiles_note).to_be_visible()
    expect(live.vehicles()).to_have_count(3 * PER_COMPANY)
    expect(page.locator("path.city-boundary")).to_have_count(1)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")


def test_a_company_representative_sees_only_their_company(page: Page, server: Server):
    live = sign_in(page, REP)
    expect(live.vehicles("whoosh")).to_have_count(PER_COMPANY)
    expect(live.vehicles()).to_have_count(PER_COMPANY)
    expect(page.get_by_test_id("company-filters").locator("li")).to_have_count(1)


def test_sign_out_returns_to_the_login_page(page: Page):
    live = sign_in(page)
    live.sign_out()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/map")
    expect(page).to_have_url(re.compile(r"/login\?next=/map$"))


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_map_fits_a_phone(browser, server: Server):
    context = browser.new_context(base_url=server.base_url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        live = sign_in(page)
        expect(live.vehicles()).to_have_count(3 * PER_COMPANY)
        toggle = page.get_by_test_id("panel-toggle")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(page.get_by_test_id("company-filters")).to_be_in_viewport()
    finally:
        context.close()
