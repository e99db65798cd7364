"""A scout's work in a real browser at a phone's size: sign in, accept, start, finish with counts
and a photo, and the supervisor's day view shows the counts; and work finished while the phone is
offline waits on the phone, is sent once it is back online, and counts once although the first
answer is lost and the sync repeated."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Route, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, Task
from tartip.ops.schemas import WorkLogPage
from tests import builders
from tests.builders import PASSWORD
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import start_server, stop
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.scout_page import DayViewPage, ScoutPage
from tests.ops.helpers import jpeg_with_gps

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SCOUT = "e2e-scout"
OFFLINE_SCOUT = "e2e-scout-offline"
LEAD = "e2e-lead"
PLACE = (76.9286, 43.2567)
# Far from every vehicle: the offline task's counts start at zero for each company.
FAR_PLACE = (76.9500, 43.2400)
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class ScoutServer:
    """A running Tartip with two scouts on shift, a task each, and a supervisor."""

    base_url: str
    task_id: int
    scout_id: int
    offline_task_id: int
    photos: Path


def assigned_task(db: Session, scout: User, *, title: str, place: tuple[float, float]) -> Task:
    """A task assigned to ``scout`` on a shift that runs now."""
    now = utcnow()
    db.add(
        Shift(
            city_id=scout.city_id,
            user_id=scout.id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=6),
            zone_ids=[],
        )
    )
    task = Task(
        city_id=scout.city_id,
        kind=TaskKind.tidy_cluster,
        origin=TaskOrigin.manual,
        state=TaskState.assigned,
        title=title,
        priority=4,
        lon=place[0],
        lat=place[1],
        company_ids=[],
        vehicles=[],
        scout_id=scout.id,
        explanation="nearest scout on shift",
        created_at=now,
        updated_at=now,
    )
    db.add(task)
    db.flush()
    return task


def seed(database_url: str, photos: Path) -> ScoutServer:
    """Almaty, two scouts on shift with a task each, three Jet and one Whoosh vehicle near one."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        scout = builders.make_user(db, city, username=SCOUT, role=Role.scout)
        offline = builders.make_user(db, city, username=OFFLINE_SCOUT, role=Role.scout)
        builders.make_user(db, city, username=LEAD, role=Role.supervisor)
        for slug, n in (("jet", 3), ("whoosh", 1)):
            feed = builders.make_feed(db, builders.company(db, city, slug))
            for i in range(n):
                builders.make_vehicle(
                    db, feed, lon=PLACE[0] + i * 0.0001, lat=PLACE[1], vehicle_id=f"{slug}-{i}"
                )
        task = assigned_task(db, scout, title="Clutter at the Arbat", place=PLACE)
        far = assigned_task(db, offline, title="Scooters on the footpath", place=FAR_PLACE)
        db.commit()
        seeded = ScoutServer("", task.id, scout.id, far.id, photos)
    engine.dispose()
    return seeded


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def scout_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScoutServer]:
    workdir = tmp_path_factory.mktemp(f"e2e-scout-{request.param}")
    pg_name = f"tartip_e2e_scout_{os.getpid()}"
    url = (
        f"sqlite:///{workdir / 'tartip.db'}"
        if request.param == "sqlite"
        else create_pg_database(pg_name)
    )
    try:
        migrate.upgrade(url)
        seeded = seed(url, workdir / "photos")
        proc, base_url = start_server(url, workdir)
        try:
            yield replace(seeded, base_url=base_url)
        finally:
            stop(proc)
    finally:
        if request.param == "postgis":
            drop_pg_database(pg_name)


@pytest.fixture
def phone(browser: Browser, scout_server: ScoutServer) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=scout_server.base_url,
        viewport=PHONE,
        locale="en-GB",
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_scout_finishes_a_task_with_counts_and_a_photo(
    phone: BrowserContext, browser: Browser, scout_server: ScoutServer
):
    page = phone.new_page()
    page.goto("/scout")
    LoginPage(page).sign_in(SCOUT)
    expect(page).to_have_url(re.compile(r"/scout$"))
    app = ScoutPage(page).wait_ready()
    task = app.task(scout_server.task_id)
    expect(task).to_contain_text("Clutter at the Arbat")
    expect(task).to_contain_text("nearest scout on shift")
    expect(task.get_by_test_id("navigate-link").first).to_have_attribute(
        "href", re.compile(r"^dgis://2gis\.ru/routeSearch/rsType/pedestrian/to/76\.9286,43\.2567$")
    )
    app.press(scout_server.task_id, "accept")
    expect(task).to_have_attribute("data-state", "accepted")
    app.wait_synced()
    app.press(scout_server.task_id, "start")
    expect(task).to_have_attribute("data-state", "in_progress")
    app.wait_synced()
    app.press(scout_server.task_id, "finish")
    expect(app.count("jet")).to_have_value("3")  # pre-filled from the live feed near the task
    expect(app.count("whoosh")).to_have_value("1")
    app.count("whoosh").fill("2")
    app.attach_photo(jpeg_with_gps())
    app.save_work()
    expect(task).to_have_count(0)
    app.wait_synced()
    expect(page.get_by_test_id("no-tasks")).to_be_visible()
    stored = list(scout_server.photos.rglob("*.jpg"))
    assert len(stored) == 1 and b"Phone Model X" not in stored[0].read_bytes()

    desk = browser.new_context(base_url=scout_server.base_url, locale="en-GB")
    try:
        lead = desk.new_page()
        lead.goto("/ops/day")
        LoginPage(lead).sign_in(LEAD)
        day = DayViewPage(lead)
        expect(day.company_count("jet")).to_have_text("3")
        expect(day.company_count("whoosh")).to_have_text("2")
        expect(day.scout_count(scout_server.scout_id)).to_have_text("5")
    finally:
        desk.close()


@contextmanager
def signed_in(base_url: str, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the login form, as a browser is."""
    with httpx.Client(base_url=base_url, headers={"accept-language": "en"}) as client:
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert signed.status_code in (200, 303), signed.text
        yield client


def test_work_finished_offline_is_sent_when_back_online_and_counted_once(
    browser: Browser, scout_server: ScoutServer
):
    # Service workers are blocked so the test can see (and lose) the phone's sync requests.
    phone = browser.new_context(
        base_url=scout_server.base_url,
        viewport=PHONE,
        locale="en-GB",
        has_touch=True,
        is_mobile=True,
        service_workers="block",
    )
    phone.set_default_timeout(10_000)
    try:
        page = phone.new_page()
        page.goto("/scout")
        LoginPage(page).sign_in(OFFLINE_SCOUT)
        app = ScoutPage(page).wait_ready()
        task_id = scout_server.offline_task_id
        task = app.task(task_id)
        app.press(task_id, "accept")
        app.wait_synced()
        app.press(task_id, "start")
        expect(task).to_have_attribute("data-state", "in_progress")
        app.wait_synced()
        app.wait_ready_offline(task_id)

        phone.set_offline(True)
        expect(app.status).to_contain_text("Offline")
        app.press(task_id, "finish")
        expect(app.count("yandex-go")).to_have_value("0")  # the counts fetched while online
        app.count("yandex-go").fill("4")
        app.save_work()
        expect(task).to_have_count(0)
        expect(app.status).to_have_attribute("data-pending", "1")
        expect(app.status).to_contain_text("Waiting to send: 1")

        syncs: list[str] = []

        def lose_the_first_answer(route: Route) -> None:
            syncs.append(route.request.post_data or "")
            if len(syncs) == 1:
                route.fetch()  # the server applies the action…
                route.abort()  # …and the phone never hears back
            else:
                route.continue_()

        page.route("**/api/v1/ops/sync", lose_the_first_answer)
        phone.set_offline(False)
        app.wait_synced()
        assert len(syncs) == 2 and syncs[0] == syncs[1]  # the same action, sent twice
    finally:
        phone.close()

    with signed_in(scout_server.base_url, LEAD) as lead:
        logs = WorkLogPage.model_validate(lead.get("/api/v1/ops/work-logs?size=1000").json())
    mine = [log for log in logs.items if log.task_id == task_id]
    assert [(log.total, log.counts) for log in mine] == [(4, {"yandex-go": 4})]
