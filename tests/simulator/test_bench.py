"""Benchmarks of the simulator's hot paths at Almaty scale (30,000 scooters); ``make bench``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tartip.simulator.documents import FeedRenderer
from tartip.simulator.history import HOUR_S
from tartip.simulator.httputil import gc_paused
from tartip.simulator.mds import MdsData
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import MONDAY_6AM, make_simulation

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def city() -> Simulation:
    """30,000 scooters at the evening peak."""
    simulation = make_simulation(vehicles=30_000, start=MONDAY_6AM.replace(hour=17))
    simulation.step(1800)
    return simulation


def test_bench_one_tick_of_30k_vehicles(benchmark: Any, city: Simulation):
    benchmark.pedantic(city.step, args=(10.0,), rounds=200, iterations=1)


def test_bench_vehicle_status_of_the_largest_company(benchmark: Any, city: Simulation):
    renderer = FeedRenderer(city, base_url="http://127.0.0.1:8090")

    def next_tick_document() -> bytes:
        city.step(10.0)  # a new tick: nothing cached
        return renderer.render("jet/gbfs/3.0/vehicle_status.json")

    body = benchmark.pedantic(next_tick_document, rounds=10, iterations=1)
    assert len(body) > 2_000_000


def test_bench_mds_hour_of_trips_and_events_of_the_largest_company(
    benchmark: Any, city: Simulation
):
    mds = MdsData(city)
    end = city.timestamp  # the last hour (the simulation started less than an hour ago)

    def build() -> int:
        with gc_paused():
            trips = mds.company_trips(0, city.history.trips_ended(end - HOUR_S, end))
            events = mds.company_events(0, city.history.events_between(end - HOUR_S, end))
            body = orjson.dumps({"trips": mds.trips(0, trips), "events": mds.events(0, events)})
        return len(body)

    size = benchmark.pedantic(build, rounds=5, iterations=1)
    assert size > 1_000_000


def test_bench_mds_status_page(benchmark: Any, city: Simulation):
    mds = MdsData(city)
    page = mds.listed(0)[:1000]

    def build() -> bytes:
        with gc_paused():
            return orjson.dumps(mds.status(0, page))

    assert len(benchmark.pedantic(build, rounds=10, iterations=1)) > 500_000
