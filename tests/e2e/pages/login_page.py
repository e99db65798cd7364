"""The sign-in page as a test sees it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests.builders import PASSWORD


class LoginPage:
    """The sign-in form."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> LoginPage:
        self.page.goto("/login")
        return self

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.locator("form[action='/login'] button[type=submit]").click()

    @property
    def error(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="Sign in")
