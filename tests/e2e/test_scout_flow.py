"""A scout's work in a real browser at a phone's size: sign in, accept, start, finish with counts
and a photo; then the supervisor's day view shows the counts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, Task
from tests import builders
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import free_port, wait_until_up
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.scout_page import DayViewPage, ScoutPage
from tests.ops.helpers import jpeg_with_gps

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SCOUT = "e2e-scout"
LEAD = "e2e-lead"
PLACE = (76.9286, 43.2567)
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class ScoutServer:
    """A running Tartip with a scout, a supervisor and one task assigned to the scout."""

    base_url: str
    task_id: int
    photos: Path


def seed(database_url: str) -> int:
    """Almaty, a scout on shift with one task, three Jet vehicles and one Whoosh vehicle near it."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        scout = builders.make_user(db, city, username=SCOUT, role=Role.scout)
        builders.make_user(db, city, username=LEAD, role=Role.supervisor)
        for slug, n in (("jet", 3), ("whoosh", 1)):
            feed = builders.make_feed(db, builders.company(db, city, slug))
            for i in range(n):
                builders.make_vehicle(
                    db, feed, lon=PLACE[0] + i * 0.0001, lat=PLACE[1], vehicle_id=f"{slug}-{i}"
                )
        now = utcnow()
        db.add(
            Shift(
                city_id=city.id,
                user_id=scout.id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=6),
                zone_ids=[],
            )
        )
        task = Task(
            city_id=city.id,
            kind=TaskKind.tidy_cluster,
            origin=TaskOrigin.manual,
            state=TaskState.assigned,
            title="Clutter at the Arbat",
            priority=4,
            lon=PLACE[0],
            lat=PLACE[1],
            company_ids=[],
            vehicles=[],
            scout_id=scout.id,
            explanation="nearest scout on shift",
            created_at=now,
            updated_at=now,
        )
        db.add(task)
        db.commit()
        task_id = task.id
    engine.dispose()
    return task_id


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
    migrate.upgrade(url)
    task_id = seed(url)
    port = free_port()
    env = {
        **os.environ,
        "TARTIP_ENV": "test",
        "TARTIP_DATABASE_URL": url,
        "TARTIP_RUN_JOBS_IN_PROCESS": "false",
        "TARTIP_SECRET_KEY": "e2e-only-secret",
        "TARTIP_DATA_DIR": str(workdir),
        "TARTIP_TILE_URL": f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png",
        "TARTIP_LOG_LEVEL": "WARNING",
    }
    log = workdir / "server.log"
    command = [
        sys.executable,
        "-m",
        "tartip",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-jobs",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, proc, log)
        yield ScoutServer(base_url, task_id, workdir / "photos")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
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
        expect(day.total).to_have_text("5")
    finally:
        desk.close()
