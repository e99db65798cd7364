"""A damaged scooter from the street to its company, in real browsers: a scout reports it from the
phone with a photo, Tartip's jobs hand it over (and post it to the company's webhook), and the
company's representative acknowledges and collects it in the portal."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.core.jobs import JobContext
from tartip.damage import jobs
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.feeds.http import make_client
from tartip.fleet.enums import VehicleStatus
from tartip.settings import Settings
from tests import builders
from tests.conftest import create_pg_database, drop_pg_database
from tests.damage.helpers import hook, receiver
from tests.e2e.conftest import start_server, stop
from tests.e2e.pages.damage_pages import DamageForm, PortalHandovers
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.scout_page import ScoutPage
from tests.ops.helpers import jpeg_with_gps

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SCOUT = "e2e-damage-scout"
REP = "e2e-damage-rep"
PLACE = (76.9457, 43.2389)
CODE = "WH-E2E-7"
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class DamageServer:
    """A running Tartip with a scout, a Whoosh representative and a disabled Whoosh scooter."""

    base_url: str
    database_url: str


def seed(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        builders.make_user(db, city, username=SCOUT, role=Role.scout)
        builders.make_user(db, city, username=REP, role=Role.company_rep, company_slug="whoosh")
        feed = builders.make_feed(db, builders.company(db, city, "whoosh"))
        builders.make_vehicle(
            db, feed, vehicle_id=CODE, lon=PLACE[0], lat=PLACE[1], status=VehicleStatus.disabled
        )
        db.commit()
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def damage_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DamageServer]:
    workdir = tmp_path_factory.mktemp(f"e2e-damage-{request.param}")
    pg_name = f"tartip_e2e_damage_{os.getpid()}"
    url = (
        f"sqlite:///{workdir / 'tartip.db'}"
        if request.param == "sqlite"
        else create_pg_database(pg_name)
    )
    try:
        migrate.upgrade(url)
        seed(url)
        proc, base_url = start_server(url, workdir)
        try:
            yield replace(DamageServer("", url), base_url=base_url)
        finally:
            stop(proc)
    finally:
        if request.param == "postgis":
            drop_pg_database(pg_name)


def run_damage_jobs(server: DamageServer, *, data_dir: Path) -> None:
    """What the worker does every few seconds: take reports in, hand over, post webhooks."""
    settings = Settings(
        env="test", database_url=server.database_url, data_dir=data_dir,
        public_base_url=server.base_url, run_jobs_in_process=False,
    )  # fmt: skip
    engine = make_engine(server.database_url)
    http = make_client(settings)
    try:
        with Session(engine, expire_on_commit=False) as db:
            city = cities_service.get_by_slug_or_raise(db, slug="almaty")
            ctx = JobContext(settings=settings, http=http)
            jobs.intake_reports(ctx, db, city)
            db.commit()
            jobs.deliver(ctx, db, city)
            db.commit()
    finally:
        http.close()
        engine.dispose()


def set_webhook(server: DamageServer, url: str) -> None:
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.get_by_slug_or_raise(db, slug="almaty")
        hook(db, builders.company(db, city, "whoosh"), url)
        db.commit()
    engine.dispose()


def test_a_scouts_report_reaches_the_company_which_acknowledges_and_collects_it(
    browser: Browser, damage_server: DamageServer, tmp_path: Path
):
    with receiver() as company_side:
        set_webhook(damage_server, company_side.url)
        phone = browser.new_context(
            base_url=damage_server.base_url, viewport=PHONE, locale="en-GB", has_touch=True,
            is_mobile=True, geolocation={"latitude": PLACE[1], "longitude": PLACE[0]},
            permissions=["geolocation"],
        )  # fmt: skip
        phone.set_default_timeout(10_000)
        try:
            scout_page = phone.new_page()
            scout_page.goto("/scout")
            LoginPage(scout_page).sign_in(SCOUT)
            app = ScoutPage(scout_page).wait_ready()
            DamageForm(scout_page).report(
                CODE.lower(), kind="broken", notes="handlebar snapped", photo=jpeg_with_gps()
            )
            app.wait_synced()
        finally:
            phone.close()

        run_damage_jobs(damage_server, data_dir=tmp_path)
        (handed,) = company_side.received
        assert handed.headers["x-tartip-event"] == "damage.handed_over"
        data = handed.json()["data"]
        assert (data["vehicle_id"], data["company"], data["damage"]) == (CODE, "whoosh", ["broken"])
        assert data["photos"] and data["photos"][0].startswith(damage_server.base_url)

        desk = browser.new_context(base_url=damage_server.base_url, locale="en-GB")
        desk.set_default_timeout(10_000)
        try:
            page = desk.new_page()
            page.goto("/portal/handovers")
            LoginPage(page).sign_in(REP)
            expect(page).to_have_url(re.compile(r"/portal/handovers$"))
            listing = PortalHandovers(page)
            expect(listing.row_of(CODE)).to_have_attribute("data-status", "handed_over")
            handover = listing.open_handover(CODE)
            expect(handover.status).to_have_attribute("data-status", "handed_over")
            expect(page.get_by_text("handlebar snapped", exact=True)).to_be_visible()
            expect(handover.photos).to_have_count(1)
            # It loads (a thumbnail is made on first use: wait for it rather than look at once).
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=handover.photos.first.element_handle(),
            )
            handover.acknowledge()
            expect(handover.status).to_have_attribute("data-status", "acknowledged")
            handover.collect()
            expect(handover.status).to_have_attribute("data-status", "collected")
            expect(page.get_by_test_id("collected-via")).to_contain_text("in the portal")
            expect(handover.history).to_have_count(3)
            PortalHandovers(page).open()
            expect(listing.row_of(CODE)).to_have_count(0)  # nothing left to collect
        finally:
            desk.close()

        run_damage_jobs(damage_server, data_dir=tmp_path)
        events = [r.headers["x-tartip-event"] for r in company_side.received]
        assert events == ["damage.handed_over", "damage.updated", "damage.updated"]
        assert company_side.received[-1].json()["data"]["status"] == "collected"
