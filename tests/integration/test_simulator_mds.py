"""The simulator as a real process: MDS pulled over HTTP, webhooks acted on, Agency pushes that
survive a Tartip restart (Tartip played by a recording stand-in in this process)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tartip.simulator.webhooks import sign
from tests.integration.conftest import Process, free_port, start, wait_for
from tests.simulator.fake_tartip import TOKEN, FakeTartip
from tests.simulator.mds_schemas import provider_errors, v12_errors

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]

V20 = "application/vnd.mds+json;version=2.0"
V12 = "application/vnd.mds.provider+json;version=1.2"
# 07:55 Almaty = 02:55 UTC: the hour 02 UTC ends 5 simulated minutes after the start.
START = "2025-06-02T07:55"
START_MS = 1_748_832_900_000
HOUR_02 = "2025-06-02T02"


@pytest.fixture
def tartip() -> Iterator[FakeTartip]:
    fake = FakeTartip()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def simulator(tartip: FakeTartip, tmp_path: Path) -> Iterator[Process]:
    """300 scooters at 600× speed (10 simulated minutes a second); Whoosh pushes to Tartip."""
    port = free_port()
    args = ["simulate", "--port", str(port), "--vehicles", "300", "--seed", "5", "--speed", "600"]
    args += ["--start", START, "--control", "--log-level", "warning"]
    args += ["--mds-ready-after", "60", "--collect-after", "120"]
    env = {
        **os.environ,
        "TARTIP_SIM_TARTIP_URL": tartip.url,
        "TARTIP_SIM_TARTIP_TOKENS": f"whoosh={TOKEN}",
        "TARTIP_SIM_PUSH": "whoosh",
    }
    log = tmp_path / "simulator.log"
    popen = start(args, env=env, ready_url=f"http://127.0.0.1:{port}/", log=log)
    process = Process(popen, f"http://127.0.0.1:{port}", log)
    yield process
    process.stop()


def get_when_ready(client: httpx.Client, url: str, headers: dict[str, str]) -> httpx.Response:
    """GET an hour's document, waiting while it is not over (404) or being processed (202)."""
    deadline = time.monotonic() + 20
    while True:
        answer = client.get(url, headers=headers)
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer
        assert answer.status_code in (202, 404), answer.text
        time.sleep(0.2)


def test_mds_is_pulled_with_a_token_and_with_oauth(simulator: Process):
    jet = {"Accept": V20, "Authorization": "Bearer tartip-sim-jet-token"}
    with httpx.Client(base_url=simulator.base_url, timeout=10) as client:
        trips = get_when_ready(client, f"/jet/mds/trips?end_time={HOUR_02}", jet)
        assert trips.status_code == 200 and trips.headers["content-type"] == V20
        assert provider_errors("/trips", trips.json()) == []

        url: str | None = "/jet/mds/vehicles/status"
        devices: list[str] = []
        while url:
            page = client.get(url, headers=jet).json()
            assert provider_errors("/vehicles/status", page) == []
            devices += [s["device_id"] for s in page["vehicles_status"]]
            url = page["links"]["next"]
        assert len(devices) == len(set(devices)) > 50

        assert client.get("/yandex-go/mds/trips", headers={"Accept": V12}).status_code == 401
        granted = client.post(
            "/yandex-go/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("tartip", "tartip-sim-yandex-go-secret"),
        )
        yandex = {"Accept": V12, "Authorization": f"Bearer {granted.json()['access_token']}"}
        old_style = get_when_ready(client, f"/yandex-go/mds/trips?end_time={HOUR_02}", yandex)
        assert old_style.headers["content-type"] == V12
        assert v12_errors("trips", old_style.json()) == []


def signed(body: dict[str, Any], secret: str) -> dict[str, Any]:
    raw = httpx.Request("POST", "http://x", json=body).content
    stamp = int(time.time())
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Tartip-Event": body["type"],
            "X-Tartip-Delivery": body["id"],
            "X-Tartip-Signature": f"t={stamp},v1={sign(secret, stamp, raw)}",
        },
    }


def test_a_handed_over_scooter_leaves_the_street(simulator: Process):
    base = simulator.base_url
    with httpx.Client(base_url=base, timeout=10) as client:
        bikes = client.get("/jet/gbfs/2.3/free_bike_status.json").json()["data"]["bikes"]
        street = next(b for b in bikes if not b["is_reserved"] and not b["is_disabled"])
        sticker = client.get(f"/_control/vehicles/jet/{street['bike_id']}").json()
        body = {
            "id": "3f7c1c2e-0d43-4c5e-9d0c-5b8a9d1e2f30",
            "type": "damage.handed_over",
            "created_at": "2025-06-02T03:00:00Z",
            "city": "almaty",
            "data": {"handover_id": 7, "vehicle_id": sticker["vehicle_id"], "damage": ["deck"]},
        }
        refused = client.post("/jet/tartip/webhook", **signed(body, "a-wrong-secret"))
        assert refused.status_code == 401
        accepted = client.post("/jet/tartip/webhook", **signed(body, "tartip-sim-jet-webhook"))
        assert accepted.json()["action"] == "collection_ordered"

        jet = {"Accept": V20, "Authorization": "Bearer tartip-sim-jet-token"}
        status_url = f"/jet/mds/vehicles/status/{sticker['device_id']}"

        def picked_up() -> bool:
            last = client.get(status_url, headers=jet).json()["vehicles_status"][0]["last_event"]
            return last["event_types"] == ["maintenance_pick_up"]

        wait_for(picked_up, timeout=20, what=f"the pick-up in MDS (log: {simulator.log})")
        ids = {
            b["bike_id"]
            for b in client.get("/jet/gbfs/2.3/free_bike_status.json").json()["data"]["bikes"]
        }
        assert street["bike_id"] not in ids
        (delivery,) = client.get("/_control/webhooks").json()["deliveries"]
        assert delivery["collection"]["status"] == "collected"


def test_agency_pushes_survive_a_tartip_restart(simulator: Process, tartip: FakeTartip):
    events_path = "mds/agency/vehicles/events"
    wait_for(lambda: len(tartip.accepted(events_path)) > 50, timeout=30, what="events pushed")
    assert {v["device_id"] for v in tartip.accepted("mds/agency/vehicles")}

    tartip.stop()  # Tartip restarts: half a simulated hour of events waits in the simulator
    time.sleep(3)
    control = httpx.get(f"{simulator.base_url}/_control").json()
    assert control["agency"]["whoosh"]["queued"]["events"] > 0
    tartip.start()

    def queued() -> int:
        agency = httpx.get(f"{simulator.base_url}/_control").json()["agency"]["whoosh"]
        return int(sum(agency["queued"].values()))

    whoosh = {"Accept": V20, "Authorization": "Bearer tartip-sim-whoosh-token"}
    status_url = f"{simulator.base_url}/whoosh/mds/vehicles/status"
    wait_for(lambda: queued() == 0, timeout=90, what="the queue sent after the restart")
    mark = httpx.get(status_url, headers=whoosh).json()["last_updated"]
    time.sleep(2.5)  # one more round of the pusher, which queues everything up to now
    wait_for(lambda: queued() == 0, timeout=30, what="the last round sent")

    pushed = Counter(e["event_id"] for e in tartip.accepted(events_path))
    assert max(pushed.values()) == 1  # nothing twice
    # Everything the Provider API shows for Whoosh until the mark was pushed.
    url: str | None = (
        f"{simulator.base_url}/whoosh/mds/events/recent?start_time={START_MS}&end_time={mark}"
    )
    provided: list[str] = []
    while url:
        page = httpx.get(url, headers=whoosh).json()
        provided += [e["event_id"] for e in page["events"]]
        url = page["links"]["next"]
    assert len(provided) > 20
    assert set(provided) <= set(pushed)
