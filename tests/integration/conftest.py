"""Real processes over real HTTP: the simulator, `tartip serve` with its jobs, and their clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.schemas import UserCreate
from tartip.cities import service as cities_service
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory, unit_of_work
from tests.conftest import create_pg_database, drop_pg_database


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"within {timeout} s: {what}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Process:
    """A child process and where it listens."""

    popen: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        """Terminate it and wait."""
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def start(
    args: list[str], *, env: dict[str, str], ready_url: str, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``python -m tartip ARGS`` and wait until ``ready_url`` answers."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "tartip", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise AssertionError(f"{args[0]} exited: {log.read_text(errors='replace')[-3000:]}")
        if _answers(ready_url):
            return popen
        time.sleep(0.2)
    popen.kill()
    raise AssertionError(f"{args[0]} did not answer at {ready_url}")


@pytest.fixture
def fresh_db_url(backend: str, tmp_path: Path, worker_tag: str) -> Iterator[str]:
    """An empty database of this backend, migrated and seeded with Almaty, committed."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
        name = None
    else:
        name = f"tartip_live_{worker_tag}"
        url = create_pg_database(name)
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, writer=True)) as db:
        cities_service.seed_almaty(db)
    engine.dispose()
    yield url
    if name:
        drop_pg_database(name)


def admin_token(db_url: str) -> str:
    """A committed admin user's API token."""
    engine = make_engine(db_url)
    with unit_of_work(make_session_factory(engine, writer=True)) as db:
        city = cities_service.get_by_slug_or_raise(db, slug="almaty")
        data = UserCreate(username="ops-admin", password="integration-pw", role=Role.admin)
        user = auth_service.create(db, scope=None, city=city, data=data)
        scope = auth_service.scope_for(user, default_city_id=city.id)
        _token, secret = auth_service.create_token(db, scope=scope, user=user, name="integration")
    engine.dispose()
    return secret


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Process]:
    """The Almaty simulator in its own process: 300 vehicles, a fixed seed, its clock at now."""
    port = free_port()
    args = ["simulate", "--port", str(port), "--vehicles", "300", "--seed", "7", "--control"]
    log = tmp_path / "simulator.log"
    popen = start(args, env=dict(os.environ), ready_url=f"http://127.0.0.1:{port}/", log=log)
    process = Process(popen, f"http://127.0.0.1:{port}", log)
    yield process
    process.stop()


@pytest.fixture
def server(fresh_db_url: str, tmp_path: Path) -> Iterator[Process]:
    """`tartip serve` with its background jobs in-process, polling fast."""
    port = free_port()
    env = {
        **os.environ,
        "TARTIP_ENV": "test",
        "TARTIP_DATABASE_URL": fresh_db_url,
        "TARTIP_DATA_DIR": str(tmp_path),
        "TARTIP_RUN_JOBS_IN_PROCESS": "true",
        "TARTIP_POLL_MIN_INTERVAL_S": "1",
        "TARTIP_HTTP_TIMEOUT_S": "2",
        "TARTIP_HTTP_RETRIES": "0",
        "TARTIP_FEED_DOWN_AFTER_FAILURES": "2",
    }
    log = tmp_path / "serve.log"
    popen = start(
        ["serve", "--port", str(port)],
        env=env,
        ready_url=f"http://127.0.0.1:{port}/healthz",
        log=log,
    )
    process = Process(popen, f"http://127.0.0.1:{port}", log)
    yield process
    process.stop()
