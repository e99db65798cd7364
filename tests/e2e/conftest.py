"""Browser tests: the real app served by uvicorn in a process of its own, driven by chromium.

Each backend gets a fresh database (a SQLite file, and a new PostgreSQL database), migrated and
seeded here; the server is the real ``tartip serve``. Map tiles point at a closed local port, as
on a machine with no way out: the map must work without them.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.feeds.enums import FeedHealth
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle
from tests import builders
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e import served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SUPERVISOR = "e2e-supervisor"
REP = "e2e-rep-whoosh"
CENTRE = (76.9286, 43.2567)
# Vehicles per company, a couple of kilometres apart so none hides another on the city view.
PER_COMPANY = 4


@dataclass(frozen=True)
class Server:
    """A running Tartip and what was seeded into it."""

    base_url: str
    backend: str
    vehicles: dict[str, list[int]]  # company slug -> vehicle row ids
    colours: dict[str, str]
    company_names: dict[str, str]
    history_vehicle_id: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(
    database_url: str, *, crowd: int = 0, more: Callable[[Session, City], None] | None = None
) -> Server:
    """Almaty, two users, a feed per company and a few vehicles each (one with a history).

    ``crowd`` more Jet vehicles stand in a square kilometre south-west of the centre; ``more``
    adds a test module's own rows before the commit.
    """
    engine = make_engine(database_url)
    vehicles: dict[str, list[int]] = {}
    with Session(engine, expire_on_commit=False) as db:
        city = cities_service.seed_almaty(db)
        builders.make_user(db, city, username=SUPERVISOR, role=Role.supervisor)
        builders.make_user(db, city, username=REP, role=Role.company_rep, company_slug="whoosh")
        companies = cities_service.list_companies(db, city_id=city.id)
        for n, company in enumerate(companies):
            feed = builders.make_feed(db, company)
            feed.health = FeedHealth.down if company.slug == "yandex-go" else FeedHealth.up
            feed.last_success_at = utcnow() - timedelta(minutes=2)
            feed.vehicle_count = PER_COMPANY
            feed.last_error = "connect timeout" if company.slug == "yandex-go" else None
            made = [
                builders.make_vehicle(
                    db,
                    feed,
                    vehicle_id=f"{company.slug}-{i}",
                    lon=CENTRE[0] + (i - 1.5) * 0.03,
                    lat=CENTRE[1] + (n - 1) * 0.02,
                    status=VehicleStatus.disabled if i == 3 else VehicleStatus.available,
                    is_stale=company.slug == "yandex-go",
                    fuel_percent=0.2 + 0.2 * i,
                )
                for i in range(PER_COMPANY)
            ]
            vehicles[company.slug] = [v.id for v in made]
        first = db.get(Vehicle, vehicles["jet"][0])
        assert first is not None
        builders.make_vehicle_change(
            db, first, kind=ChangeKind.appeared, at=utcnow() - timedelta(hours=1)
        )
        builders.make_vehicle_change(
            db,
            first,
            kind=ChangeKind.status_changed,
            at=utcnow() - timedelta(minutes=10),
            status=VehicleStatus.available,
            previous_status=VehicleStatus.reserved,
        )
        colours = {c.slug: c.colour for c in companies}
        names = {c.slug: c.name for c in companies}
        history_id = first.id
        jet_feed_id = first.feed_id
        if crowd:
            rows = [crowd_vehicle(first, jet_feed_id, i) for i in range(crowd)]
            db.execute(insert(Vehicle), rows)
        if more is not None:
            more(db, city)
        db.commit()
    engine.dispose()
    return Server("", "", vehicles, colours, names, history_id)


def crowd_vehicle(like: Vehicle, feed_id: int, i: int) -> dict[str, object]:
    """A row for a bulk insert: one of many vehicles on a 30 × 30 grid of 30 m steps."""
    return {
        "city_id": like.city_id,
        "company_id": like.company_id,
        "feed_id": feed_id,
        "vehicle_id": f"crowd-{i}",
        "lon": CENTRE[0] - 0.02 + (i % 30) * 0.0004,
        "lat": CENTRE[1] - 0.02 + (i // 30) * 0.0003,
        "status": VehicleStatus.available,
        "first_seen_at": like.first_seen_at,
        "last_seen_at": like.last_seen_at,
        "in_feed": True,
        "is_stale": False,
    }


# Servers are forked from a parent that imported Tartip once (see ``served.py``).
FORKSERVER = multiprocessing.get_context("forkserver")
FORKSERVER.set_forkserver_preload(["tartip.app", "tests.e2e.served"])


def wait_until_up(url: str, proc: BaseProcess, log: Path) -> bool:
    """Whether the server answers; False if it exited because its port was taken meanwhile."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not proc.is_alive():
            text = log.read_text() if log.exists() else ""
            if "address already in use" in text:
                return False
            raise RuntimeError(f"tartip serve exited:\n{text}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"tartip serve did not answer:\n{log.read_text()}")


def start_server(database_url: str, workdir: Path) -> tuple[BaseProcess, str]:
    """``tartip serve`` on a free loopback port; tried again if another process takes the port."""
    for _attempt in range(3):
        port, closed_port = free_port(), free_port()
        env = {
            "TARTIP_ENV": "test",
            "TARTIP_DATABASE_URL": database_url,
            "TARTIP_RUN_JOBS_IN_PROCESS": "false",
            "TARTIP_SECRET_KEY": "e2e-only-secret",
            "TARTIP_DATA_DIR": str(workdir),
            # Nothing listens there: tiles fail fast, as on a machine with no way out.
            "TARTIP_TILE_URL": f"http://127.0.0.1:{closed_port}/{{z}}/{{x}}/{{y}}.png",
            "TARTIP_LOG_LEVEL": "WARNING",
        }
        log = workdir / "server.log"
        proc = FORKSERVER.Process(
            target=served.serve, args=(env, str(workdir), str(log), port), daemon=True
        )
        proc.start()
        base_url = f"http://127.0.0.1:{port}"
        if port != closed_port and wait_until_up(base_url, proc, log):
            return proc, base_url
        stop(proc)
    raise RuntimeError("no free port for tartip serve")


def stop(proc: BaseProcess) -> None:
    proc.terminate()
    proc.join(timeout=10)
    if proc.is_alive():
        proc.kill()
        proc.join()


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A fresh database of each backend behind a real ``tartip serve``."""
    workdir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    pg_name = f"tartip_e2e_{os.getpid()}_{request.module.__name__.rsplit('.', 1)[-1]}"
    if request.param == "sqlite":
        database_url = f"sqlite:///{workdir / 'tartip.db'}"
    else:
        database_url = create_pg_database(pg_name)
    try:
        migrate.upgrade(database_url)
        # A test module asks for a crowded city with CROWD = n (the default seed has 12 vehicles),
        # and adds its own rows with seed_more(db, city).
        seeded = seed(
            database_url,
            crowd=getattr(request.module, "CROWD", 0),
            more=getattr(request.module, "seed_more", None),
        )
        proc, base_url = start_server(database_url, workdir)
        try:
            yield replace(seeded, base_url=base_url, backend=request.param)
        finally:
            stop(proc)
    finally:
        if request.param == "postgis":
            drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Assertions wait as long as actions do (10 s): while the other test worker keeps both cores
    # busy, a page that reads four APIs before it says it is ready can take over the default 5 s.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": 1280, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
