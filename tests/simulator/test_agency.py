"""Pushing to Tartip's MDS Agency API: order, retries across an outage, fallbacks, no loss."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from tartip.simulator.agency import AgencyPusher
from tartip.simulator.config import SimulatorConfig
from tartip.simulator.mds import MdsData
from tartip.simulator.simulation import Simulation
from tests.simulator.aio import run_apart
from tests.simulator.conftest import make_simulation
from tests.simulator.fake_tartip import TOKEN, FakeTartip, free_port
from tests.simulator.mds_schemas import model_errors

WHOOSH = 2
AGENCY = "mds/agency/"


@pytest.fixture
def tartip() -> Iterator[FakeTartip]:
    fake = FakeTartip()
    fake.start()
    yield fake
    fake.stop()


def pusher_for(simulation: Simulation, url: str, **settings: object) -> AgencyPusher:
    config = SimulatorConfig.for_companies(["jet", "yandex-go", "whoosh"], **settings)
    config.tartip_url = url
    config.companies["whoosh"].push = True
    config.companies["whoosh"].tartip_token = TOKEN
    return AgencyPusher(simulation, config, MdsData(simulation))


def push(pusher: AgencyPusher, *, now: bool = True) -> None:
    """One round of the pusher, as the server's background task runs it."""

    async def round_() -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            if now:
                for outbox in pusher.outboxes.values():
                    outbox.next_at = 0.0  # do not wait out the backoff in a test
            pusher.sync()
            await pusher.flush(client)

    run_apart(round_())


def expected_event_ids(simulation: Simulation) -> set[str]:
    """Whoosh's events as its Provider API has them: states at the start, then the log."""
    mds, history = MdsData(simulation), simulation.history
    logged = history.events_between(0, simulation.timestamp + 1)
    events = mds.events(WHOOSH, mds.company_events(WHOOSH, history.initial))
    events += mds.events(WHOOSH, mds.company_events(WHOOSH, logged))
    return {e["event_id"] for e in events}


def test_vehicles_are_registered_then_events_telemetry_and_trips_follow(tartip: FakeTartip):
    simulation = make_simulation(vehicles=300)
    simulation.step(1800)
    pusher = pusher_for(simulation, tartip.url, push_batch=100)

    push(pusher)

    paths = [r.path for r in tartip.requests]
    assert paths[0] == AGENCY + "vehicles"
    whoosh_devices = {
        simulation.identities.device_ids[v] for v in MdsData(simulation).vehicles_of(WHOOSH)
    }
    assert {v["device_id"] for v in tartip.accepted(AGENCY + "vehicles")} == whoosh_devices
    events = tartip.accepted(AGENCY + "vehicles/events")
    assert {e["event_id"] for e in events} == expected_event_ids(simulation)
    assert all(model_errors("event", e) == [] for e in events[:200])
    telemetry = tartip.accepted(AGENCY + "vehicles/telemetry")
    trips = tartip.accepted(AGENCY + "trips")
    assert telemetry and trips
    assert all(model_errors("telemetry", p) == [] for p in telemetry[:100])
    assert all(model_errors("trip", t) == [] for t in trips)
    # A trip is sent after the event that ended it.
    sent_at = {}
    for number, request in enumerate(tartip.requests):
        for record in request.body:
            if request.path.endswith("events") and record["event_types"] == ["trip_end"]:
                sent_at[record["trip_ids"][0]] = number
    for number, request in enumerate(tartip.requests):
        if request.path.endswith("trips"):
            assert all(sent_at[trip["trip_id"]] < number for trip in request.body)

    simulation.step(1800)
    push(pusher)

    again = tartip.accepted(AGENCY + "vehicles/events")
    assert {e["event_id"] for e in again} == expected_event_ids(simulation)
    assert max(Counter(e["event_id"] for e in again).values()) == 1
    assert max(Counter(t["trip_id"] for t in tartip.accepted(AGENCY + "trips")).values()) == 1
    outbox = pusher.as_json()["whoosh"]
    assert sum(outbox["queued"].values()) == 0 and outbox["rejected"]["events"] == 0


def test_nothing_is_lost_while_tartip_is_down_or_failing():
    simulation = make_simulation(vehicles=300)
    tartip = FakeTartip(port=free_port())  # not started: Tartip is down
    pusher = pusher_for(simulation, tartip.url, push_batch=200)
    simulation.step(1200)

    push(pusher)
    outbox = pusher.outboxes["whoosh"]
    assert outbox.last_error and "ConnectError" in outbox.last_error
    assert outbox.next_at > time.monotonic()  # it backs off
    assert outbox.queued("events") > 0

    simulation.step(1200)
    tartip.start()  # Tartip is back
    try:
        tartip.override[AGENCY + "trips"] = 503  # but one endpoint still fails
        push(pusher)
        assert outbox.queued("trips") > 0 and outbox.queued("events") == 0
        del tartip.override[AGENCY + "trips"]
        tartip.stop()  # a restart in the middle
        simulation.step(600)
        push(pusher)
        tartip.start()
        push(pusher)
    finally:
        tartip.stop()

    events = tartip.accepted(AGENCY + "vehicles/events")
    assert {e["event_id"] for e in events} == expected_event_ids(simulation)
    assert max(Counter(e["event_id"] for e in events).values()) == 1
    ended = MdsData(simulation).company_trips(WHOOSH, simulation.history.trips_ended(0, 2e9))
    assert len(tartip.accepted(AGENCY + "trips")) == len(ended) > 0
    assert sum(outbox.queued(k) for k in outbox.queues) == 0


def test_a_refused_token_is_retried_until_it_works(tartip: FakeTartip):
    simulation = make_simulation(vehicles=150)
    pusher = pusher_for(simulation, tartip.url)
    pusher.config.companies["whoosh"].tartip_token = "not-the-token"

    push(pusher)
    assert not tartip.accepted(AGENCY + "vehicles")
    assert "401" in str(pusher.outboxes["whoosh"].last_error)

    pusher.config.companies["whoosh"].tartip_token = TOKEN
    push(pusher)
    assert {
        e["event_id"] for e in tartip.accepted(AGENCY + "vehicles/events")
    } == expected_event_ids(simulation)


def test_the_mds_paths_are_used_where_the_contract_paths_are_missing(tartip: FakeTartip):
    tartip.contract_paths = False
    simulation = make_simulation(vehicles=300)
    simulation.step(3600)
    pusher = pusher_for(simulation, tartip.url)

    push(pusher)

    assert {e["event_id"] for e in tartip.accepted(AGENCY + "events")} == expected_event_ids(
        simulation
    )
    assert tartip.accepted(AGENCY + "telemetry")
    assert pusher.as_json()["whoosh"]["paths"]["events"] == "events"


def test_records_of_forgotten_vehicles_are_registered_and_sent_again(tartip: FakeTartip):
    simulation = make_simulation(vehicles=300)
    pusher = pusher_for(simulation, tartip.url)
    push(pusher)
    tartip.registered.clear()  # Tartip lost its registry (a reset database)

    simulation.step(3600)
    push(pusher)

    events = tartip.accepted(AGENCY + "vehicles/events")
    assert {e["event_id"] for e in events} == expected_event_ids(simulation)
    assert max(Counter(e["event_id"] for e in events).values()) == 1
    refused = sum(1 for r in tartip.requests if r.path.endswith("events") for e in r.body) - len(
        events
    )
    assert refused > 0  # some were refused as unregistered first, then sent again
    assert pusher.as_json()["whoosh"]["rejected"]["events"] == 0


def test_a_batch_refused_as_invalid_is_counted_and_not_sent_again(tartip: FakeTartip):
    simulation = make_simulation(vehicles=300)
    simulation.step(1800)
    pusher = pusher_for(simulation, tartip.url)
    tartip.override[AGENCY + "trips"] = 400

    push(pusher)
    push(pusher)

    refused = [r for r in tartip.requests if r.path == AGENCY + "trips"]
    outbox = pusher.as_json()["whoosh"]
    assert outbox["rejected"]["trips"] == sum(len(r.body) for r in refused) > 0
    assert outbox["queued"]["trips"] == 0 and "400" in outbox["last_error"]


def test_the_queue_is_bounded_and_drops_position_reports_first():
    simulation = make_simulation(vehicles=300)
    pusher = pusher_for(simulation, f"http://127.0.0.1:{free_port()}", push_queue_limit=120)
    simulation.step(3600)

    push(pusher)

    outbox = pusher.outboxes["whoosh"]
    assert sum(outbox.queued(k) for k in outbox.queues) == 120
    assert outbox.dropped > 0 and outbox.queued("telemetry") == 0
    assert outbox.queued("events") > 0


def test_nobody_pushes_unless_told(tartip: FakeTartip):
    simulation = make_simulation(vehicles=150)
    pusher = pusher_for(simulation, tartip.url)
    pusher.config.companies["whoosh"].push = False

    push(pusher)

    assert tartip.requests == [] and pusher.outboxes == {}
    assert np.all(simulation.fleet.company >= 0)
