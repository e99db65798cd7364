"""The simulation core: deterministic, private ids, a daily rhythm, and a city that stays tidy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import orjson
import pytest
import shapely

from tartip.simulator.fleet import VehicleState, split_fleet
from tartip.simulator.rhythm import HOURLY_SHARE, hourly_share
from tartip.simulator.scenario import Scenario
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import MONDAY_6AM, make_simulation


def positions(simulation: Simulation, company: str) -> dict[str, tuple[float, float]]:
    view = simulation.view(company)
    return dict(zip(view.ids, zip(view.lon.tolist(), view.lat.tolist(), strict=True), strict=True))


def test_the_same_seed_and_time_give_identical_bytes():
    one, two = make_simulation(seed=11), make_simulation(seed=11)

    one.step(timedelta(hours=2))
    for _ in range(72):  # the same two hours in 100-second steps
        two.step(100)

    assert one.tick == two.tick == 720
    for version in ("2.3", "3.0"):
        assert one.documents(version) == two.documents(version)


def test_a_different_seed_gives_a_different_city():
    one, two = make_simulation(seed=11), make_simulation(seed=12)

    one.step(600)
    two.step(600)

    path = "jet/gbfs/2.3/free_bike_status.json"
    assert one.documents("2.3")[path] != two.documents("2.3")[path]


def test_the_fleet_is_split_by_the_2024_proportions():
    simulation = make_simulation(vehicles=3000)

    assert simulation.fleet_counts == (1184, 869, 947)  # Jet, Yandex Go, Whoosh
    assert split_fleet(30_000, [7.5, 5.5, 6.0]) == [11842, 8684, 9474]
    assert split_fleet(19, [7.5, 5.5, 6.0]) == [8, 5, 6]


def test_vehicles_on_a_trip_are_absent_and_come_back_with_a_new_id():
    simulation = make_simulation()
    simulation.step(timedelta(hours=2, minutes=30))  # the morning peak
    fleet = simulation.fleet
    riding = np.flatnonzero(fleet.state == VehicleState.on_trip)
    old_ids = {int(i): str(fleet.ids[i]) for i in riding}
    shown = set(simulation.view("jet").ids) | set(simulation.view("whoosh").ids)
    shown |= set(simulation.view("yandex-go").ids)

    assert len(riding) > 10
    assert not shown & set(old_ids.values())

    simulation.step(1800)

    back = [i for i in old_ids if fleet.state[i] in (VehicleState.parked, VehicleState.disabled)]
    assert len(back) > 10
    shown = set().union(*(simulation.view(c).ids for c in ("jet", "yandex-go", "whoosh")))
    for i in back:
        assert fleet.ids[i] != old_ids[i]
        assert old_ids[i] not in shown


def test_an_id_never_moves():
    # Privacy works both ways: a vehicle that moves (trip, rebalancing) gets a new id, and one
    # that stands keeps its id and its exact position.
    simulation = make_simulation()
    before = positions(simulation, "jet")

    simulation.step(2 * 3600)

    after = positions(simulation, "jet")
    kept = set(before) & set(after)
    assert 0 < len(kept) < len(before)
    assert all(before[i] == after[i] for i in kept)


def test_ids_look_random_and_are_unique():
    simulation = make_simulation()
    simulation.step(3600)

    ids = list(simulation.fleet.ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 36 and i[14] == "4" for i in ids)  # UUID version 4 shape


def test_a_day_has_about_100k_trips_per_30k_vehicles_with_peaks():
    simulation = make_simulation(vehicles=3000, start=MONDAY_6AM.replace(hour=0), tick_s=60.0)
    per_hour = []
    for _ in range(24):
        started = simulation.stats.trips_started
        simulation.step(3600)
        per_hour.append(simulation.stats.trips_started - started)

    assert 0.9 * 10_000 < sum(per_hour) < 1.1 * 10_000
    assert per_hour[8] > 4 * per_hour[3] and per_hour[18] > 4 * per_hour[3]  # peaks vs night
    assert per_hour[18] > per_hour[8]  # the evening peak is the larger


def test_the_daily_rhythm_integrates_to_one_day():
    samples = [hourly_share(h / 60.0) for h in range(24 * 60)]

    assert sum(samples) / 60.0 == pytest.approx(1.0, rel=1e-9)
    assert sum(HOURLY_SHARE) == pytest.approx(1.0)


def test_positions_stay_inside_the_city(scenario: Scenario):
    simulation = make_simulation(vehicles=1500)
    simulation.step(6 * 3600)

    for company in ("jet", "yandex-go", "whoosh"):
        view = simulation.view(company)
        assert shapely.contains_xy(scenario.boundary, view.lon, view.lat).all()


def test_broken_scooters_stay_on_the_street_until_collected():
    simulation = make_simulation(vehicles=3000)
    simulation.step(8 * 3600)

    documents = simulation.documents("2.3")
    bikes = [
        bike
        for slug in ("jet", "yandex-go", "whoosh")
        for bike in orjson.loads(documents[f"{slug}/gbfs/2.3/free_bike_status.json"])["data"][
            "bikes"
        ]
    ]
    assert sum(b["is_disabled"] for b in bikes) > 5
    assert sum(b["is_reserved"] for b in bikes) > 0
    assert simulation.stats.breakdowns > 0 and simulation.stats.collected_broken > 0


def test_crews_swap_batteries_charge_and_rebalance_overnight():
    simulation = make_simulation(vehicles=3000, start=MONDAY_6AM.replace(hour=12), tick_s=30.0)
    simulation.step(timedelta(hours=18))

    work = simulation.operation_stats
    assert work.battery_swaps > 0  # Jet and Whoosh by day
    assert work.charging_collections > 0  # Yandex Go at 23:00
    assert work.rebalanced > 0  # everyone between 01:00 and 05:00


def test_clutter_builds_up_at_hotspots_by_evening(scenario: Scenario):
    simulation = make_simulation(vehicles=3000, start=MONDAY_6AM.replace(hour=5), tick_s=30.0)

    def hotspot_share() -> float:
        fleet = simulation.fleet
        shown = np.isin(fleet.state, [VehicleState.parked, VehicleState.disabled])
        return float(scenario.places.hotspot[fleet.place[shown]].mean())

    dawn = hotspot_share()
    simulation.step(timedelta(hours=16))
    assert hotspot_share() > 1.3 * dawn


def test_the_simulation_refuses_nonsense():
    with pytest.raises(ValueError, match="aware"):
        make_simulation(start=MONDAY_6AM.replace(tzinfo=None))
    with pytest.raises(ValueError, match="vehicles"):
        make_simulation(vehicles=0)
    with pytest.raises(ValueError, match="tick_s"):
        make_simulation(tick_s=0)
