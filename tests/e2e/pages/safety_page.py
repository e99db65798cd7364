"""The Vision Zero page (``/safety``) as a test sees it: the map, the counts, the form."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Locator, Page, expect

INCIDENT_COLOUR = "#b91c1c"  # the incident markers' stroke (safety-map.js)


class SafetyPage:
    """The safety map, the incidents by month and the form to record one."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> SafetyPage:
        self.page.goto("/safety")
        expect(self.page.get_by_test_id("safety-page")).to_be_visible()
        return self

    @property
    def map(self) -> Locator:
        return self.page.get_by_test_id("safety-map")

    @property
    def incident_markers(self) -> Locator:
        """The incidents drawn on the map (Leaflet circle markers, in SVG)."""
        return self.map.locator(f'path.leaflet-interactive[stroke="{INCIDENT_COLOUR}"]')

    def month_count(self, month: str) -> Locator:
        """The incidents of ``month`` (``YYYY-MM``) in the counts table."""
        row = self.page.locator(f'[data-testid="count-row"][data-month="{month}"]')
        return row.locator("td").nth(1)

    @property
    def incidents(self) -> Locator:
        return self.page.get_by_test_id("incident-row")

    def record(
        self, *, kind: str, severity: str, when: datetime, lat: float, lon: float, company: str,
        vehicle: str, injured: int,
    ) -> None:  # fmt: skip
        """Fill in the form (``when`` in city time) and send it; back on the map afterwards."""
        form = self.page.get_by_test_id("incident-form")
        form.get_by_test_id("incident-kind").select_option(kind)
        form.get_by_test_id("incident-severity").select_option(severity)
        form.get_by_test_id("incident-when").fill(when.strftime("%Y-%m-%dT%H:%M"))
        form.get_by_test_id("incident-lat").fill(str(lat))
        form.get_by_test_id("incident-lon").fill(str(lon))
        form.get_by_test_id("incident-company").select_option(company)
        form.locator("input[name=vehicle_code]").fill(vehicle)
        form.locator("input[name=injured]").fill(str(injured))
        form.locator("textarea[name=description]").fill("Hit a kerb on a crossing")
        with self.page.expect_navigation():
            form.get_by_test_id("incident-submit").click()
        expect(self.page.get_by_test_id("safety-page")).to_be_visible()
