"""The scout app and the supervisor's day view as a test sees them."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class ScoutPage:
    """The phone app: shift, tasks, the finish form, the sync status."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.app = page.get_by_test_id("scout-app")
        self.status = page.get_by_test_id("sync-status")
        self.dialog = page.get_by_test_id("finish-dialog")

    def wait_ready(self) -> ScoutPage:
        expect(self.app).to_have_attribute("data-ready", "true")
        return self

    def wait_ready_offline(self, task_id: int) -> None:
        """Wait until the phone keeps the counts this task's finish form starts from."""
        expect(self.app).to_have_attribute("data-prefilled", re.compile(rf"(^|,){task_id}(,|$)"))

    def task(self, task_id: int) -> Locator:
        return self.page.locator(f'[data-testid="task"][data-task-id="{task_id}"]')

    def press(self, task_id: int, action: str) -> None:
        self.task(task_id).get_by_test_id(f"task-{action}").click()

    def wait_synced(self) -> None:
        expect(self.status).to_have_attribute("data-pending", "0")

    def count(self, company: str) -> Locator:
        return self.dialog.get_by_test_id(f"count-{company}")

    def attach_photo(self, data: bytes, which: str = "after") -> None:
        self.dialog.get_by_test_id(f"photo-{which}").set_input_files(
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": data}
        )

    def save_work(self) -> None:
        self.dialog.get_by_test_id("finish-submit").click()


class DayViewPage:
    """The supervisor's day view of work done."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> DayViewPage:
        self.page.goto("/ops/day")
        expect(self.page.get_by_test_id("day-view")).to_be_visible()
        return self

    def company_count(self, slug: str) -> Locator:
        return self.page.get_by_test_id(f"day-company-{slug}")

    def scout_count(self, user_id: int) -> Locator:
        return self.page.get_by_test_id(f"day-scout-{user_id}")

    @property
    def total(self) -> Locator:
        return self.page.get_by_test_id("day-total")
