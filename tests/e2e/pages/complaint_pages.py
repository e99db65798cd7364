"""The public complaint form and status page, and staff's complaint page, as a test sees them."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect


class ComplaintForm:
    """The citizen's form at /complaints/new (phone-sized first)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.map = page.get_by_test_id("complaint-map")
        self.place = page.get_by_test_id("place-text")
        self.error = page.get_by_test_id("form-error")

    def open(self) -> ComplaintForm:
        self.page.goto("/complaints/new")
        expect(self.map).to_have_attribute("data-ready", "true")
        return self

    def category(self, code: str) -> None:
        self.page.get_by_test_id(f"category-{code}").check()

    def use_my_location(self) -> None:
        self.page.get_by_test_id("use-location").click()
        expect(self.map).to_have_attribute("data-pinned", "true")

    def describe(self, text: str) -> None:
        self.page.get_by_test_id("description").fill(text)

    def attach(self, photo: Path) -> None:
        self.page.get_by_test_id("photo").set_input_files(str(photo))

    def contact(self, email: str, *, consent: bool) -> None:
        self.page.get_by_test_id("contact-email").fill(email)
        if consent:
            self.page.get_by_test_id("consent").check()

    def send(self) -> None:
        self.page.get_by_test_id("submit-complaint").click()

    def field_error(self, name: str) -> Locator:
        return self.page.get_by_test_id(f"error-{name}")


class StatusPage:
    """The public status page of one complaint."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.reference = page.get_by_test_id("reference")
        self.status = page.get_by_test_id("status")
        self.thanks = page.get_by_test_id("thanks")
        self.answer = page.get_by_test_id("answer")


class ComplaintDetail:
    """Staff's page of one complaint."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.get_by_test_id("complaint-detail")

    def open(self, reference: str) -> ComplaintDetail:
        self.page.goto(f"/complaints/{reference}")
        expect(self.page.get_by_test_id("detail-map")).to_have_attribute("data-ready", "true")
        return self

    def vehicle(self, vehicle_id: str) -> Locator:
        return self.page.locator(f'[data-testid="vehicle-row"][data-vehicle="{vehicle_id}"]')

    def company(self, slug: str) -> Locator:
        return self.page.get_by_test_id(f"company-{slug}")

    def send_to_scout(self) -> None:
        self.page.get_by_test_id("route-task").check()
        self.page.get_by_test_id("route-submit").click()
        expect(self.page.get_by_test_id("done")).to_be_visible()
