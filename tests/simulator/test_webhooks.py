"""Tartip's damage webhooks at a simulated company: signatures, the collection, Tartip answered."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from starlette.testclient import TestClient

from tartip.simulator.config import SimulatorConfig
from tartip.simulator.fleet import VehicleState
from tartip.simulator.history import EventKind
from tartip.simulator.mds import MdsData
from tartip.simulator.server import create_simulator_app
from tartip.simulator.simulation import REPAIR_S, Simulation
from tartip.simulator.webhooks import WebhookReceiver, sign
from tests.simulator.aio import run_apart
from tests.simulator.conftest import make_simulation
from tests.simulator.fake_tartip import TOKEN, FakeTartip

BASE = "http://sim.test"
SECRET = "tartip-sim-jet-webhook"
JET = 0


@pytest.fixture
def simulation() -> Simulation:
    simulation = make_simulation(vehicles=300)
    simulation.step(600)
    return simulation


@pytest.fixture
def config() -> SimulatorConfig:
    return SimulatorConfig.for_companies(["jet", "yandex-go", "whoosh"], collect_after_s=600)


@pytest.fixture
def client(simulation: Simulation, config: SimulatorConfig) -> Iterator[TestClient]:
    app = create_simulator_app(simulation, BASE, speed=0.0, config=config)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


def handover(vehicle_id: str, *, handover_id: str = "17", kind: str = "damage.handed_over",
             **data: Any) -> dict[str, Any]:  # fmt: skip
    """A webhook body as Tartip's damage domain sends it."""
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "created_at": "2025-06-02T01:10:00Z",
        "city": "almaty",
        "data": {
            "handover_id": handover_id,
            "reference": "DH-2025-0017",
            "vehicle_id": vehicle_id,
            "company": "jet",
            "damage": ["broken_brake"],
            "status": "handed_over",
            **data,
        },
    }


def deliver(
    client: TestClient,
    body: dict[str, Any],
    *,
    secret: str = SECRET,
    company: str = "jet",
    at: int | None = None,
    tamper: bool = False,
) -> httpx.Response:
    """POST ``body`` signed as Tartip signs it."""
    raw = orjson.dumps(body)
    stamp = int(time.time()) if at is None else at
    signature = sign(secret, stamp, raw)
    headers = {
        "Content-Type": "application/json",
        "X-Tartip-Event": body["type"],
        "X-Tartip-Delivery": body["id"],
        "X-Tartip-Signature": f"t={stamp},v1={signature}",
    }
    content = raw.replace(b"broken_brake", b"flat_tyre") if tamper else raw
    return client.post(f"/{company}/tartip/webhook", content=content, headers=headers)


def parked_jet_vehicle(simulation: Simulation) -> int:
    fleet = simulation.fleet
    parked = np.flatnonzero((fleet.company == JET) & (fleet.state == VehicleState.parked))
    return int(parked[0])


def gbfs_ids(simulation: Simulation) -> set[str]:
    return set(simulation.view("jet").ids)


def test_a_handover_gets_the_vehicle_collected_and_later_back(
    client: TestClient, simulation: Simulation
):
    vehicle = parked_jet_vehicle(simulation)
    code = simulation.identities.codes[vehicle]
    street_id = str(simulation.fleet.ids[vehicle])

    answer = deliver(client, handover(code))

    assert answer.status_code == 200 and answer.json()["action"] == "collection_ordered"
    simulation.step(300)
    assert street_id in gbfs_ids(simulation)  # the crew is on its way
    simulation.step(310)
    assert simulation.fleet.state[vehicle] == VehicleState.away
    assert street_id not in gbfs_ids(simulation)  # off the street, out of GBFS
    mds = MdsData(simulation)
    (status,) = mds.status(JET, np.array([vehicle]))
    assert status["last_event"]["event_types"] == ["maintenance_pick_up"]
    assert status["last_event"]["vehicle_state"] == "removed"
    logged = simulation.history.events_between(simulation.timestamp - 20, simulation.timestamp + 1)
    picked = logged.take(
        (logged.vehicle == vehicle) & (logged.kind == EventKind.maintenance_pick_up)
    )
    assert len(picked) == 1

    (delivery,) = client.get("/_control/webhooks").json()["deliveries"]
    assert delivery["vehicle_id"] == code and delivery["collection"]["status"] == "collected"
    assert delivery["reference"] == "DH-2025-0017"

    simulation.step(REPAIR_S[1] + 600)  # repaired and back on the street, with a new GBFS id
    assert simulation.fleet.state[vehicle] != VehicleState.away
    (back,) = mds.status(JET, np.array([vehicle]))
    kinds = simulation.history.events_between(0, simulation.timestamp + 1)
    mine = kinds.take(kinds.vehicle == vehicle)
    names = [EventKind(k).name for k in mine.kind.tolist()]
    assert names[names.index("maintenance_pick_up") + 1] == "provider_drop_off"
    assert back["device_id"] == status["device_id"]
    assert back["last_event"]["vehicle_state"] != "removed"


def test_signatures_are_checked(client: TestClient, simulation: Simulation):
    code = simulation.identities.codes[parked_jet_vehicle(simulation)]
    body = handover(code)

    unsigned = client.post("/jet/tartip/webhook", content=orjson.dumps(body))
    wrong_secret = deliver(client, body, secret="tartip-sim-whoosh-webhook")
    tampered = deliver(client, body, tamper=True)
    replayed = deliver(client, body, at=int(time.time()) - 3600)
    for refused in (unsigned, wrong_secret, tampered, replayed):
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_signature"
    assert client.get("/_control/webhooks").json()["deliveries"] == []

    raw = orjson.dumps(body)
    stamp = int(time.time())
    rotating = (
        f"t={stamp},v1={sign('an-old-secret-value', stamp, raw)},v1={sign(SECRET, stamp, raw)}"
    )
    accepted = client.post(
        "/jet/tartip/webhook",
        content=raw,
        headers={"X-Tartip-Signature": rotating, "X-Tartip-Delivery": body["id"]},
    )
    assert accepted.status_code == 200
    assert deliver(client, handover(code), company="bolt").status_code == 404


def test_a_redelivery_is_accepted_without_a_second_collection(
    client: TestClient, simulation: Simulation
):
    code = simulation.identities.codes[parked_jet_vehicle(simulation)]
    body = handover(code)

    first, again = deliver(client, body), deliver(client, body)

    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(client.get("/_control/webhooks").json()["deliveries"]) == 1
    assert len(simulation._orders) == 1


def test_the_vehicle_is_found_by_code_device_or_gbfs_id(client: TestClient, simulation: Simulation):
    fleet, ids = simulation.fleet, simulation.identities
    jet = np.flatnonzero((fleet.company == JET) & (fleet.state == VehicleState.parked))
    by_gbfs = deliver(client, handover(str(fleet.ids[jet[1]]), handover_id="18"))
    by_device = deliver(client, handover(ids.device_ids[jet[2]], handover_id="19"))
    whoosh_code = ids.codes[int(np.flatnonzero(fleet.company == 2)[0])]
    elsewhere = deliver(client, handover(whoosh_code, handover_id="20"))
    unknown = deliver(client, handover("JT-000000", handover_id="21"))
    other = deliver(client, {**handover("x"), "type": "complaint.created"})

    assert by_gbfs.json()["action"] == by_device.json()["action"] == "collection_ordered"
    assert elsewhere.json()["action"] == unknown.json()["action"] == "vehicle_not_found"
    assert other.json()["action"] == "ignored"
    log = client.get("/_control/webhooks").json()["deliveries"]
    assert [d["handover_id"] for d in log][-3:] == ["20", "19", "18"]
    lookup = client.get(f"/_control/vehicles/jet/{fleet.ids[jet[1]]}").json()
    assert lookup["vehicle_id"] == ids.codes[jet[1]] and lookup["state"] == "parked"


def test_a_crew_finds_an_unreadable_code_by_the_place(client: TestClient, simulation: Simulation):
    fleet = simulation.fleet
    vehicle = parked_jet_vehicle(simulation)
    lat, lon = float(fleet.lat[vehicle]), float(fleet.lon[vehicle])

    near = deliver(client, handover("smudged", handover_id="50", lat=lat + 0.00005, lon=lon))
    far = deliver(client, handover("smudged", handover_id="51", lat=lat + 0.01, lon=lon))

    assert near.json()["action"] == "collection_ordered"
    assert far.json()["action"] == "vehicle_not_found"
    (_, found) = client.get("/_control/webhooks").json()["deliveries"]
    assert found["vehicle_id"] == simulation.identities.codes[vehicle]


def test_a_withdrawn_handover_is_not_collected(client: TestClient, simulation: Simulation):
    vehicle = parked_jet_vehicle(simulation)
    code = simulation.identities.codes[vehicle]
    deliver(client, handover(code, handover_id="30"))

    update = deliver(
        client, handover(code, handover_id="30", kind="damage.updated", status="cancelled")
    )
    simulation.step(900)

    assert update.json()["action"] == "collection_cancelled"
    assert simulation.stats.collected_on_request == 0
    (_, first) = client.get("/_control/webhooks").json()["deliveries"]
    assert first["collection"]["status"] == "cancelled"


def test_a_ridden_vehicle_is_collected_once_its_rider_leaves_it(simulation: Simulation):
    config = SimulatorConfig.for_companies(["jet", "yandex-go", "whoosh"], collect_after_s=0)
    receiver = WebhookReceiver(simulation, config)
    fleet = simulation.fleet
    riding = int(np.flatnonzero((fleet.company == JET) & (fleet.state == VehicleState.on_trip))[0])
    order = simulation.order_collection(riding, after_s=0)

    simulation.step(20)
    assert order.status == "waiting" and fleet.state[riding] == VehicleState.on_trip
    simulation.advance_to(fleet.until[riding] + 20)

    assert order.status == "collected" and fleet.state[riding] == VehicleState.away
    assert receiver.as_json() == []


def test_tartip_is_answered_when_the_company_has_a_token(simulation: Simulation):
    tartip = FakeTartip()
    tartip.start()
    # The test sends the answers itself: the server's own round waits an hour.
    config = SimulatorConfig.for_companies(
        ["jet", "yandex-go", "whoosh"], collect_after_s=60, push_interval_s=3600
    )
    config.tartip_url = tartip.url
    config.companies["jet"].tartip_token = TOKEN
    app = create_simulator_app(simulation, BASE, speed=0.0, config=config)
    receiver = next(
        r for r in app.routes if getattr(r, "path", "").endswith("webhook")
    ).endpoint.__self__  # type: ignore[attr-defined]
    try:
        with TestClient(app, base_url=BASE) as client:
            code = simulation.identities.codes[parked_jet_vehicle(simulation)]
            assert deliver(client, handover(code, handover_id="41")).status_code == 200

            run_apart(flush(receiver))
            simulation.step(120)
            run_apart(flush(receiver))
            (delivery,) = client.get("/_control/webhooks").json()["deliveries"]
    finally:
        tartip.stop()

    assert [r.path for r in tartip.requests] == [
        "damage/handovers/41/acknowledge",
        "damage/handovers/41/collect",
    ]
    assert delivery["answers"] == ["acknowledge: 200", "collect: 200"]
    notes = [body["note"] for body in tartip.accepted("damage/handovers/41/collect")]
    assert notes and "collected" in notes[0].lower()


async def flush(receiver: WebhookReceiver) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        await receiver.flush(client)
