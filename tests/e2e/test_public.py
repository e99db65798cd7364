"""A citizen opens the public page without an account: scooters by district, this month's results,
the way to complain; then the open-data page, and downloads a dataset as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tests import builders
from tests.trips.test_statistics_rollup import ALMALY

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def seed_more(db: Session, city: City) -> None:
    """12 more Jet scooters in Almaly (the default seed has 12 scooters near the centre)."""
    feed = builders.make_feed(db, builders.company(db, city, "jet"))
    for i in range(12):
        builders.make_vehicle(db, feed, lon=ALMALY[0] + i * 1e-4, lat=ALMALY[1])


class PublicPage:
    """The citizens' page at /public, as a test sees it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.total = page.get_by_test_id("vehicles-total")
        self.districts = page.get_by_test_id("district-row")

    def open(self) -> PublicPage:
        self.page.goto("/public")
        expect(self.page.get_by_test_id("public-page")).to_be_visible()
        return self

    def vehicles_in(self, code: str) -> str:
        row = self.page.locator(f'[data-testid="district-row"][data-district="{code}"]')
        return row.get_by_test_id("district-vehicles").inner_text().strip()


def test_a_citizen_sees_aggregated_figures_and_finds_how_to_complain(page: Page):
    public = PublicPage(page).open()
    expect(public.total).to_have_text("24")
    expect(public.districts).to_have_count(9)  # 8 districts and "outside every district"
    assert int(public.vehicles_in("almaly")) >= 12
    for code in ("alatau", "nauryzbay"):  # no scooter there: hidden, not a zero
        assert public.vehicles_in(code) == "< 10"
    expect(page.get_by_test_id("month-results")).to_be_visible()
    page.get_by_test_id("complain-link").click()
    expect(page).to_have_url(re.compile(r"/complaints/new$"))


def test_the_open_data_page_hands_out_a_csv(page: Page):
    page.goto("/open-data")
    expect(page.get_by_test_id("dataset")).to_have_count(6)
    expect(page.get_by_test_id("licence")).to_have_text("CC BY 4.0")
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-vehicles").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    text = path.read_text(encoding="utf-8-sig")
    rows = {r["district"]: r["vehicles"] for r in csv.DictReader(io.StringIO(text))}
    assert int(rows["almaly"]) >= 12 and rows["alatau"] == ""
