"""The operator's report page and the records behind its figures, as a test sees them."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect


def number(text: str) -> int:
    """A whole number as the page writes it (groups of three split by a space)."""
    return int(text.replace("\u00a0", "").replace(" ", "").strip())


class ReportPage:
    """``/reports/report``: the figures, tables and download links of one period."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_month(self, month: str) -> ReportPage:
        self.page.goto(f"/reports/report?period=month&at={month}")
        expect(self.page.get_by_test_id("report-page")).to_be_visible()
        return self

    def choose_language(self, code: str) -> None:
        """Switch the interface language with the selector in the top bar (reloads the page)."""
        with self.page.expect_navigation():
            self.page.locator("select[name=locale]").select_option(code)

    @property
    def period(self) -> Locator:
        return self.page.get_by_test_id("report-period")

    def figure(self, key: str) -> Locator:
        """The value of a headline figure (a link to its records when it has them)."""
        return self.page.get_by_test_id(f"records-{key}")

    def figure_value(self, key: str) -> int:
        return number(self.figure(key).inner_text())

    def table_row(self, key: str, first_cell: str) -> Locator:
        """The row of a table whose first cell reads ``first_cell``."""
        table = self.page.get_by_test_id(f"table-{key}")
        return table.locator("tbody tr").filter(
            has=self.page.locator("td:first-child", has_text=first_cell)
        )

    def download(self, fmt: str, into: Path) -> Path:
        """Download the report as ``fmt`` (pdf, xlsx, csv) from the page's link; the saved path."""
        with self.page.expect_download() as info:
            self.page.get_by_test_id(f"report-download-{fmt}").click()
        saved = into / info.value.suggested_filename
        info.value.save_as(saved)
        return saved


class RecordsPage:
    """``/reports/records/<kind>``: the list behind one figure."""

    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page.get_by_test_id("records-page")).to_be_visible()

    @property
    def total(self) -> int:
        return number(self.page.get_by_test_id("records-total").inner_text())

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("records-table").locator("tbody tr")
