"""The companies' portal as a test sees it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, Response, expect


class PortalPage:
    """Any page of the portal: the company heading, the section nav, the section's map."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.company = page.get_by_test_id("portal-company")
        self.nav = page.get_by_test_id("portal-nav")

    def go(self, section: str) -> PortalPage:
        """Open a section through the nav (overview, violations, feeds, rules, tokens)."""
        self.nav.get_by_test_id(f"portal-nav-{section}").click()
        expect(self.nav.get_by_test_id(f"portal-nav-{section}")).to_have_attribute(
            "aria-current", "page"
        )
        return self

    def visit(self, path: str) -> Response | None:
        """Type an address (URL tampering included) and return the server's answer."""
        return self.page.goto(path)

    def map(self, name: str) -> Locator:
        """A section's map, once its features are drawn."""
        found = self.page.get_by_test_id(name)
        expect(found).to_have_attribute("data-ready", "true")
        return found

    def markers(self, name: str) -> Locator:
        """The drawn features of a map (Leaflet's interactive SVG paths)."""
        return self.map(name).locator("path.leaflet-interactive")

    def row(self, testid: str) -> Locator:
        """A row of a section's table by its test id."""
        return self.page.get_by_test_id(testid)
