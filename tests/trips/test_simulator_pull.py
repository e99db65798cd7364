"""Tartip pulls the simulator (a real process) the way the demo does, on both databases.

Jet by MDS Provider 2.0 with a bearer token, Yandex Go by 1.2 with OAuth client credentials, at
the simulator's documented credentials. Everything the simulator serves must be read without a
rejected record or a schema problem, and its vehicles must follow the MDS state machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip import demo
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.feeds import mds_provider
from tartip.feeds.enums import FeedHealth
from tartip.feeds.http import make_client
from tartip.feeds.models import Feed, FeedPull
from tartip.settings import Settings
from tartip.trips import pull
from tartip.trips.models import Trip, VehicleEvent
from tests import builders
from tests.integration.conftest import Process, free_port, start

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]

# 07:55 Almaty = 02:55 UTC; at 600× the hour 02 UTC is over (and served) within seconds.
START = "2025-06-02T07:55"
HOUR_02 = "2025-06-02T02"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """300 scooters at 600× speed, MDS hours served a simulated minute after they end."""
    port = free_port()
    args = ["simulate", "--port", str(port), "--vehicles", "300", "--seed", "8", "--speed", "600"]
    args += ["--start", START, "--control", "--log-level", "warning", "--mds-ready-after", "60"]
    log = tmp_path_factory.mktemp("sim") / "simulator.log"
    popen = start(args, env=dict(os.environ), ready_url=f"http://127.0.0.1:{port}/", log=log)
    process = Process(popen, f"http://127.0.0.1:{port}", log)
    headers = {"Accept": "application/vnd.mds+json;version=2.0"}
    headers["Authorization"] = "Bearer tartip-sim-jet-token"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the hour 02 UTC is served
        url = f"{process.base_url}/jet/mds/trips?end_time={HOUR_02}"
        if httpx.get(url, headers=headers, timeout=5).status_code == 200:
            break
        time.sleep(0.3)
    yield process
    process.stop()


def simulated_now(simulator: Process) -> datetime:
    state = httpx.get(f"{simulator.base_url}/_control", timeout=5).json()
    return datetime.fromisoformat(state["simulated_time"])


def test_jet_over_2_0_and_yandex_over_1_2_are_read_cleanly(
    db: Session, city: City, simulator: Process, settings: Settings
):
    start = datetime.fromisoformat(f"{HOUR_02}:00:00+00:00")
    feeds: list[Feed] = []
    for slug, version in demo.DEMO_MDS_PULL.items():
        company = builders.company(db, city, slug)
        feeds.append(
            mds_provider.ensure(
                db,
                city_id=city.id,
                company_id=company.id,
                url=f"{simulator.base_url}/{slug}/mds/",
                version=version,
                auth=demo.mds_auth(simulator.base_url, slug),
                config=mds_provider.MdsConfig(start=start),
            )
        )
    quick = settings.model_copy(update={"http_retries": 0})
    with make_client(quick) as http:
        for feed in feeds:
            result = pull.pull_feed(
                db, feed=feed, http=http, settings=quick, tokens={}, now=simulated_now(simulator)
            )
            assert result.error is None, result
            assert feed.health == FeedHealth.up and feed.vehicle_count

    for feed in feeds:
        logs = db.scalars(select(FeedPull).where(FeedPull.feed_id == feed.id)).all()
        assert {p.outcome for p in logs} <= {"ok", "not_ready"}, [(p.file, p.error) for p in logs]
        assert sum(p.records_rejected + p.schema_problems for p in logs) == 0, [
            (p.file, p.problems[:3]) for p in logs if p.records_rejected or p.schema_problems
        ]
        trips = db.scalar(
            select(func.count()).select_from(Trip).where(Trip.company_id == feed.company_id)
        )
        events = db.scalar(
            select(func.count())
            .select_from(VehicleEvent)
            .where(VehicleEvent.company_id == feed.company_id)
        )
        flagged = db.scalars(
            select(VehicleEvent.flag_reason).where(
                VehicleEvent.company_id == feed.company_id, VehicleEvent.flagged
            )
        ).all()
        assert trips and events > trips, (feed.version, trips, events)
        assert flagged == [], (feed.version, flagged[:5])


def test_the_demo_hands_whooshs_agency_token_to_the_simulator(
    db: Session, city: City, simulator: Process
):
    builders.make_user(db, city, username="whoosh", role=Role.company_rep, company_slug="whoosh")
    tokens = demo.seed_mds(db, city, simulator_base=simulator.base_url)
    assert set(tokens) == {"whoosh"} and tokens["whoosh"].startswith("tt_")
    again = demo.seed_mds(db, city, simulator_base=simulator.base_url)  # a second demo start
    assert again["whoosh"] != tokens["whoosh"]
    assert (
        db.scalar(select(func.count()).select_from(Feed).where(Feed.protocol == "mds_provider"))
        == 2
    )

    demo.connect_simulator(simulator.base_url, tartip_url="http://127.0.0.1:9", agency_tokens=again)
    state = httpx.get(f"{simulator.base_url}/_control", timeout=5).json()["config"]
    assert state["tartip_url"] == "http://127.0.0.1:9"
    assert state["companies"]["whoosh"]["tartip_token"] is True
    assert state["companies"]["whoosh"]["push"] is True
