"""The zone list and the zone editor as a test sees them."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class ZoneListPage:
    """The list of the city's zones."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.table = page.get_by_test_id("zones-table")

    def open(self) -> ZoneListPage:
        self.page.goto("/zones")
        expect(self.page.get_by_test_id("zones-page")).to_be_visible()
        return self

    def draw_new(self) -> ZoneEditorPage:
        self.page.get_by_test_id("zone-new").click()
        expect(self.page).to_have_url(re.compile(r"/zones/new$"))
        return ZoneEditorPage(self.page).wait_ready()

    def row(self, name: str) -> Locator:
        return self.page.get_by_test_id("zone-row").filter(has_text=name)


class ZoneEditorPage:
    """The map editor of one zone: the Leaflet-Geoman toolbar, the rule form, the actions."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.map = page.get_by_test_id("map")
        self.phase = page.get_by_test_id("zone-phase")
        self.messages = page.get_by_test_id("zone-messages")

    def wait_ready(self) -> ZoneEditorPage:
        expect(self.map).to_have_attribute("data-ready", "true")
        return self

    @property
    def shapes(self) -> Locator:
        """The zone's drawn shapes (Leaflet paths carrying the editor's class)."""
        return self.map.locator("path.zone-shape")

    def draw_polygon(self, corners: list[tuple[float, float]]) -> None:
        """Draw with the toolbar's polygon tool: click each corner, given as fractions of the
        map's width and height, then the first corner again to finish."""
        self.map.locator(".leaflet-pm-icon-polygon").click()
        box = self.map.bounding_box()
        assert box is not None
        points = [
            (box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners
        ]
        for x, y in [*points, points[0]]:
            self.page.mouse.move(x, y, steps=4)
            self.page.mouse.click(x, y)
        expect(self.shapes).to_have_count(1)

    def fill(self, *, name: str, kind: str) -> None:
        self.page.get_by_test_id("zone-name").fill(name)
        self.page.get_by_test_id("zone-kind").select_option(kind)

    def field(self, name: str) -> Locator:
        """A rule field of the form, by its test id suffix (``capacity``, ``speed``…)."""
        return self.page.get_by_test_id(f"zone-{name}")

    def save(self) -> None:
        """Save, and wait for the saved zone's own page."""
        self.page.get_by_test_id("zone-save").click()
        expect(self.page).to_have_url(re.compile(r"/zones/\d+$"))
        self.wait_ready()

    def publish(self) -> None:
        self.page.get_by_test_id("zone-publish").click()
        expect(self.phase).to_have_attribute("data-phase", "published")
        self.wait_ready()

    @property
    def zone_id(self) -> int:
        found = re.search(r"/zones/(\d+)$", self.page.url)
        assert found is not None, self.page.url
        return int(found.group(1))
