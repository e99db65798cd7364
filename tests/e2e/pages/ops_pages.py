"""The supervisor's staff page, roster and console as a test sees them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


class StaffPage:
    """Teams and each person's team, travel mode and phone."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.saved = page.get_by_test_id("staff-saved")

    def open(self) -> StaffPage:
        self.page.goto("/ops/staff")
        expect(self.page.get_by_test_id("staff")).to_be_visible()
        return self

    def add_team(self, name: str) -> None:
        self.page.get_by_test_id("new-team-name").fill(name)
        self.page.get_by_test_id("new-team-submit").click()

    def person(self, username: str) -> Locator:
        return self.page.locator(f'[data-testid="person-row"][data-username="{username}"]')

    def set_profile(self, username: str, *, team: str, mode: str, phone: str) -> None:
        row = self.person(username)
        row.get_by_test_id("person-team").select_option(label=team)
        row.get_by_test_id("person-mode").select_option(value=mode)
        row.get_by_test_id("person-phone").fill(phone)
        row.get_by_test_id("person-save").click()


class RosterPage:
    """One day's shifts and the form that adds or changes one (times in city time)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.get_by_test_id("shift-form")
        self.saved = page.get_by_test_id("roster-saved")

    def open(self, query: str = "") -> RosterPage:
        self.page.goto(f"/ops/roster{query}")
        expect(self.page.get_by_test_id("shifts")).to_be_visible()
        return self

    def fill_shift(
        self, *, person: str, starts: str, ends: str, zone_ids: list[int] | None = None
    ) -> None:
        self.form.get_by_test_id("shift-person").select_option(label=person)
        self.form.get_by_test_id("shift-starts").fill(starts)
        self.form.get_by_test_id("shift-ends").fill(ends)
        for zone_id in zone_ids or []:
            self.form.get_by_test_id(f"shift-zone-{zone_id}").check()

    def submit(self) -> None:
        self.form.get_by_test_id("shift-submit").click()

    def error(self, field: str) -> Locator:
        return self.form.get_by_test_id(f"error-{field}")

    def shift_of(self, user_id: int) -> Locator:
        return self.page.locator(f'[data-testid="shift-row"][data-user-id="{user_id}"]')


class ConsolePage:
    """The supervisor's console: coverage, scouts on shift, open tasks and the map."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> ConsolePage:
        self.page.goto("/ops")
        expect(self.page.get_by_test_id("ops-map")).to_have_attribute("data-ready", "true")
        return self

    def coverage(self, zone_name: str) -> Locator:
        return self.page.get_by_test_id("coverage-item").filter(has_text=zone_name)

    def scout_row(self, user_id: int) -> Locator:
        return self.page.locator(f'[data-testid="scout-item"][data-user-id="{user_id}"]')

    def task_row(self, task_id: int) -> Locator:
        return self.page.locator(f'[data-testid="console-task"][data-task-id="{task_id}"]')

    def scout_marker(self, user_id: int) -> Locator:
        return self.page.locator(f'[data-testid="scout-marker"][data-user-id="{user_id}"]')

    def task_marker(self, task_id: int) -> Locator:
        return self.page.locator(f'[data-testid="task-marker"][data-task-id="{task_id}"]')

    def make_task(self, *, title: str, kind: str, priority: str) -> None:
        """Click an empty part of the map for the place, fill the new-task form and send it."""
        box = self.page.get_by_test_id("ops-map").bounding_box()
        assert box is not None
        # Off the centre, where the seeded scout and tasks stand (a click there opens them).
        self.page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75)
        expect(self.page.get_by_test_id("new-task-place")).not_to_contain_text("Click")
        form = self.page.get_by_test_id("new-task")
        form.locator('select[name="kind"]').select_option(kind)
        form.get_by_test_id("new-task-title").fill(title)
        form.locator('select[name="priority"]').select_option(priority)
        form.get_by_test_id("new-task-submit").click()

    def drag_row_onto_scout(self, task_id: int, user_id: int) -> None:
        self.task_row(task_id).drag_to(self.scout_row(user_id))

    def drag_marker_onto_scout(self, task_id: int, user_id: int) -> None:
        start = self.task_marker(task_id).bounding_box()
        end = self.scout_marker(user_id).bounding_box()
        assert start is not None and end is not None
        mouse = self.page.mouse
        mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        mouse.down()
        mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
        mouse.up()
