"""The trip dashboard in a real browser: the figures, the OD matrix, the heat map drawn from the
statistics API, and the period presets (a real ``tartip serve`` on each database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.trips import statistics_rollup
from tests import builders
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import start_server, stop
from tests.e2e.pages.login_page import LoginPage
from tests.trips.test_statistics_rollup import ALMALY, MEDEU, TURKSIB, add_trip

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

LEAD = "e2e-trips-lead"


def seed(database_url: str) -> None:
    """Almaty, a supervisor, and today's trips: 14 Jet Almaly → Medeu, 11 Whoosh Medeu → Turksib."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        builders.make_user(db, city, username=LEAD, role=Role.supervisor)
        jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
        now = datetime.now(UTC)
        midnight = datetime.now(ZoneInfo(city.timezone)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        # Early in the local day, so every trip has started before now whatever the hour.
        start = max(midnight.astimezone(UTC), now - timedelta(hours=1))
        for i in range(14):
            add_trip(db, jet, start=start + timedelta(seconds=i), origin=ALMALY, destination=MEDEU)
        for i in range(11):
            add_trip(
                db, whoosh, start=start + timedelta(seconds=i), origin=MEDEU, destination=TURKSIB
            )
        statistics_rollup.roll_up(db, city=city)
        db.commit()
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp(f"trips-{request.param}")
    pg_name = f"tartip_e2e_trips_{os.getpid()}"
    url = (
        f"sqlite:///{workdir / 'tartip.db'}"
        if request.param == "sqlite"
        else create_pg_database(pg_name)
    )
    try:
        migrate.upgrade(url)
        seed(url)
        proc, served = start_server(url, workdir)
        try:
            yield served
        finally:
            stop(proc)
    finally:
        if request.param == "postgis":
            drop_pg_database(pg_name)


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    made = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    made.set_default_timeout(10_000)
    yield made
    made.close()


def test_the_dashboard_shows_todays_trips_and_draws_the_heat_map(context: BrowserContext):
    page: Page = context.new_page()
    LoginPage(page).open().sign_in(LEAD)
    page.get_by_test_id("nav-trips").click()
    expect(page.get_by_test_id("trips-page")).to_be_visible()
    expect(page.get_by_test_id("trips-today")).to_have_text("25")
    expect(page.get_by_test_id("trips-company-jet")).to_have_text("14")
    matrix = page.get_by_test_id("trips-od")
    expect(matrix.locator('[data-from="almaly"][data-to="medeu"]')).to_have_text("14")
    expect(matrix.locator('[data-from="medeu"][data-to="turksib"]')).to_have_text("11")

    heat = page.get_by_test_id("trip-heatmap")
    expect(heat).to_have_attribute("data-ready", "true")
    starts = int(heat.get_attribute("data-drawn") or 0)
    assert starts == 2  # Almaly and Medeu
    expect(page.locator("#trip-heatmap path.leaflet-interactive")).to_have_count(0)  # canvas
    page.get_by_test_id("heat-ends").check()
    expect(heat).to_have_attribute("data-measure", "ends")
    assert int(heat.get_attribute("data-drawn") or 0) == 2  # Medeu and Turksib

    page.get_by_test_id("trips-preset-month").click()
    expect(page.get_by_test_id("trips-total")).to_have_text("25")
    assert "from=" in page.url and "to=" in page.url
