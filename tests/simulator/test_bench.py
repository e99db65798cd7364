"""Benchmarks of the simulator's hot paths at Almaty scale (30,000 scooters); ``make bench``."""

from __future__ import annotations

from typing import Any

import pytest

from tartip.simulator.documents import FeedRenderer
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
