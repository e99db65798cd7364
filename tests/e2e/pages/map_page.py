"""The live map page as a test sees it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


class MapPage:
    """The supervisor's live map: panel, map, details and notes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.map = page.get_by_test_id("map")
        self.details = page.get_by_test_id("vehicle-details")
        self.feed_health = page.get_by_test_id("feed-health")
        self.tiles_note = page.get_by_test_id("tiles-note")
        self.status = page.get_by_test_id("map-status")

    def open(self) -> MapPage:
        self.page.goto("/map")
        return self.wait_ready()

    def wait_ready(self) -> MapPage:
        expect(self.map).to_have_attribute("data-ready", "true")
        return self

    def vehicles(self, company: str | None = None) -> Locator:
        selector = '[data-testid="vehicle"]'
        if company is not None:
            selector += f'[data-company="{company}"]'
        return self.page.locator(selector)

    def vehicle(self, vehicle_id: int) -> Locator:
        return self.page.locator(f'[data-testid="vehicle"][data-vehicle-id="{vehicle_id}"]')

    def company_filter(self, slug: str) -> Locator:
        return self.page.get_by_test_id(f"company-filter-{slug}")

    def feed_rows(self) -> Locator:
        return self.page.get_by_test_id("feed-health-row")

    def sign_out(self) -> None:
        self.page.get_by_test_id("sign-out").click()
