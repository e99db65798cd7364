"""The scout app's damage form and the company portal's handover pages as a test sees them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


class DamageForm:
    """The scout app's "report a damaged vehicle" form (the code goes in the vehicle field)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.section = page.get_by_test_id("damage-section")

    def report(self, code: str, *, kind: str, notes: str, photo: bytes | None = None) -> None:
        self.page.get_by_test_id("vehicle-code").fill(code)
        self.section.locator("summary").click()
        form = self.page.get_by_test_id("damage-form")
        form.get_by_test_id("damage-kind").select_option(value=kind)
        form.locator("textarea[name=description]").fill(notes)
        if photo is not None:
            form.locator("input[name=photo]").set_input_files(
                {"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": photo}
            )
        form.get_by_test_id("damage-submit").click()
        # The app keeps the report (and its photo) on the phone, then closes the form.
        expect(self.section).not_to_have_attribute("open", "")


class PortalHandovers:
    """The company's list of handovers (/portal/handovers)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> PortalHandovers:
        self.page.goto("/portal/handovers")
        expect(self.page.get_by_test_id("portal-handovers")).to_be_visible()
        return self

    def row_of(self, vehicle: str) -> Locator:
        return self.page.locator('[data-testid^="handover-"][data-status]').filter(has_text=vehicle)

    def open_handover(self, vehicle: str) -> PortalHandover:
        self.row_of(vehicle).get_by_test_id("handover-link").click()
        return PortalHandover(self.page).wait()


class PortalHandover:
    """One handover in the company's portal, with its answers."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.status = page.get_by_test_id("handover-status")
        self.photos = page.get_by_test_id("handover-photos").locator("img")
        self.history = page.get_by_test_id("handover-history").locator("li")

    def wait(self) -> PortalHandover:
        expect(self.page.get_by_test_id("portal-handover")).to_be_visible()
        return self

    def acknowledge(self) -> None:
        self.page.get_by_test_id("acknowledge").click()

    def collect(self) -> None:
        self.page.get_by_test_id("collect").click()
