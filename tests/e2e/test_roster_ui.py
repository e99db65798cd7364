"""A supervisor staffs the city in a real browser: a team and a profile on the staff page, a shift
in a duty zone on the roster (a refused one first), then, once the scout checks in through the
API, the console shows the zone covered and takes two reassignments by drag (row and marker)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.db import migrate
from tartip.db.engine import make_engine
from tests import builders
from tests.builders import PASSWORD
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import start_server, stop
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.ops_pages import ConsolePage, RosterPage, StaffPage
from tests.ops.helpers import make_duty_zone, make_task

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

LEAD = "e2e-roster-lead"
SCOUT = "e2e-roster-scout"
SCOUT_NAME = "Aruzhan Test"
ZONE = "Arbat duty"
CENTRE = (76.9286, 43.2567)
ALMATY = ZoneInfo("Asia/Almaty")


@dataclass(frozen=True)
class RosterServer:
    """A running Tartip with a supervisor, a scout without a shift, a duty zone and two tasks."""

    base_url: str
    scout_id: int
    zone_id: int
    task_ids: tuple[int, int]


def seed(database_url: str) -> RosterServer:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        builders.make_user(db, city, username=LEAD, role=Role.supervisor)
        scout = builders.make_user(db, city, username=SCOUT, role=Role.scout)
        scout.full_name = SCOUT_NAME
        zone = make_duty_zone(db, city, name=ZONE, lon=CENTRE[0], lat=CENTRE[1])
        east = make_task(db, city, lon=CENTRE[0] + 0.004, lat=CENTRE[1], zone=zone)
        west = make_task(db, city, lon=CENTRE[0] - 0.005, lat=CENTRE[1] + 0.001, zone=zone)
        db.commit()
        seeded = RosterServer("", scout.id, zone.id, (east.id, west.id))
    engine.dispose()
    return seeded


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def roster_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RosterServer]:
    workdir = tmp_path_factory.mktemp(f"e2e-roster-{request.param}")
    pg_name = f"tartip_e2e_roster_{os.getpid()}"
    url = (
        f"sqlite:///{workdir / 'tartip.db'}"
        if request.param == "sqlite"
        else create_pg_database(pg_name)
    )
    try:
        migrate.upgrade(url)
        seeded = seed(url)
        proc, base_url = start_server(url, workdir)
        try:
            yield RosterServer(base_url, seeded.scout_id, seeded.zone_id, seeded.task_ids)
        finally:
            stop(proc)
    finally:
        if request.param == "postgis":
            drop_pg_database(pg_name)


@pytest.fixture
def desk(browser: Browser, roster_server: RosterServer) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=roster_server.base_url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


def check_in_through_the_api(base_url: str, username: str) -> None:
    """Sign in as a person (the login form, as a phone does) and check in at the centre."""
    with httpx.Client(base_url=base_url, headers={"accept-language": "en"}) as client:
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert signed.status_code in (200, 303), signed.text
        page = client.get("/scout").text  # a signed-in session has its own token
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        checked = client.post(
            "/api/v1/ops/me/check-in",
            json={"lon": CENTRE[0], "lat": CENTRE[1]},
            headers={"X-CSRF-Token": token},
        )
        assert checked.status_code == 200, checked.text


def city_time(moment: datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M")


def test_a_supervisor_staffs_a_duty_zone_and_reassigns_by_drag(
    desk: BrowserContext, roster_server: RosterServer
):
    page = desk.new_page()
    page.goto("/ops/staff")
    LoginPage(page).sign_in(LEAD)
    staff = StaffPage(page)
    expect(staff.person(SCOUT)).to_be_visible()
    staff.add_team("Centre")
    expect(staff.saved).to_be_visible()
    staff.set_profile(SCOUT, team="Centre", mode="e_bike", phone="+7 701 555 00 11")
    expect(staff.saved).to_be_visible()
    row = staff.person(SCOUT)
    expect(row.get_by_test_id("person-mode")).to_have_value("e_bike")
    expect(row.get_by_test_id("person-phone")).to_have_value("+7 701 555 00 11")

    now = datetime.now(ALMATY).replace(second=0, microsecond=0)
    roster = RosterPage(page).open()
    roster.fill_shift(
        person=SCOUT_NAME,
        starts=city_time(now - timedelta(hours=1)),
        ends=city_time(now - timedelta(hours=2)),
        zone_ids=[roster_server.zone_id],
    )
    roster.submit()
    expect(roster.error("ends_at")).to_have_text("The shift must end after it starts.")
    expect(roster.form.get_by_test_id(f"shift-zone-{roster_server.zone_id}")).to_be_checked()
    roster.form.get_by_test_id("shift-ends").fill(city_time(now + timedelta(hours=5)))
    roster.submit()
    expect(roster.saved).to_be_visible()
    shift = roster.shift_of(roster_server.scout_id)
    expect(shift.get_by_test_id("shift-zones")).to_have_text(ZONE)
    expect(shift.get_by_test_id("shift-time")).to_contain_text(
        f"{(now - timedelta(hours=1)):%H:%M}–{(now + timedelta(hours=5)):%H:%M}"
    )
    zone_row = page.locator(f'[data-testid="coverage-row"][data-zone-id="{roster_server.zone_id}"]')
    expect(zone_row).to_have_attribute("data-state", "expected")

    check_in_through_the_api(roster_server.base_url, SCOUT)
    console = ConsolePage(page).open()
    expect(console.coverage(ZONE)).to_have_attribute("data-state", "covered")
    east, west = roster_server.task_ids
    scout_id = str(roster_server.scout_id)
    expect(console.scout_row(roster_server.scout_id)).to_contain_text("checked in")

    console.drag_row_onto_scout(east, roster_server.scout_id)
    expect(console.task_row(east)).to_have_attribute("data-scout-id", scout_id)
    expect(console.task_row(east)).to_have_attribute("data-pinned", "true")

    expect(console.scout_marker(roster_server.scout_id)).to_be_visible()
    console.drag_marker_onto_scout(west, roster_server.scout_id)
    expect(console.task_row(west)).to_have_attribute("data-scout-id", scout_id)
    expect(console.task_row(west)).to_contain_text(re.compile(rf"{SCOUT_NAME}.*📌"))


def test_a_supervisor_makes_a_task_by_hand_on_the_console_map(
    desk: BrowserContext, roster_server: RosterServer
):
    page = desk.new_page()
    page.goto("/ops")
    LoginPage(page).sign_in(LEAD)
    console = ConsolePage(page).open()
    form = page.get_by_test_id("new-task")
    form.get_by_test_id("new-task-submit").click()  # no place yet: refused, nothing sent
    expect(form.get_by_role("alert")).to_have_text("Click the map where the work is.")
    console.make_task(title="Scooters across the Arbat", kind="tidy_cluster", priority="5")
    row = page.get_by_test_id("console-task").filter(has_text="Scooters across the Arbat")
    expect(row).to_have_count(1)
    with httpx.Client(base_url=roster_server.base_url) as client:
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"username": LEAD, "password": PASSWORD, "csrf_token": token})
        tasks = client.get("/api/v1/ops/tasks", params={"open_only": "true"}).json()["items"]
    [made] = [t for t in tasks if t["title"] == "Scooters across the Arbat"]
    assert made["kind"] == "tidy_cluster" and made["priority"] == 5
    assert made["deadline"] is not None  # the form's default: in one hour
