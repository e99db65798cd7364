"""The simulator's MDS data: the state machine, the same street as GBFS, stable identities."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import numpy as np
import orjson
import pytest

from tartip.simulator.fleet import VehicleState
from tartip.simulator.history import HOUR_S, KIND_STATE, EventKind
from tartip.simulator.mds import TELEMETRY_EVERY_S, MdsData
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import MONDAY_6AM, make_simulation
from tests.simulator.mds_schemas import (
    micromobility_targets,
    micromobility_transitions,
    model_errors,
)

COMPANIES = ("jet", "yandex-go", "whoosh")
ON_STREET = {"available", "reserved", "non_operational"}


@pytest.fixture(scope="module")
def day() -> Simulation:
    """1,500 scooters from noon to the next morning: riders, breakdowns, charging, night vans."""
    simulation = make_simulation(vehicles=1500, start=MONDAY_6AM.replace(hour=12), tick_s=30.0)
    simulation.step(timedelta(hours=19))
    return simulation


def test_every_event_follows_the_mds_state_machine(day: Simulation):
    history, allowed, targets = day.history, micromobility_transitions(), micromobility_targets()
    state = {
        int(v): KIND_STATE[int(k)]
        for v, k in zip(history.initial.vehicle, history.initial.kind, strict=True)
    }
    events = history.events_between(day.start.timestamp() - 1, day.timestamp + 1)
    last_t: dict[int, float] = {}
    wrong = []
    for vehicle, kind, t in zip(
        events.vehicle.tolist(), events.kind.tolist(), events.t.tolist(), strict=True
    ):
        name, after = EventKind(kind).name, KIND_STATE[kind]
        if state[vehicle] not in allowed[name] or after not in targets[name]:
            wrong.append((vehicle, state[vehicle], name, after))
        assert t >= last_t.get(vehicle, -1.0)  # a device's events never go back in time
        state[vehicle], last_t[vehicle] = after, t

    assert wrong == []
    assert set(events.kind.tolist()) == {int(k) for k in EventKind}  # every kind happened
    # And the state the events lead to is the state the fleet is in.
    fleet = day.fleet
    expected = {0: "available", 1: "reserved", 2: "on_trip", 3: "non_operational", 4: "removed"}
    assert all(state[v] == expected[int(fleet.state[v])] for v in range(len(fleet)))


def test_mds_shows_the_same_street_as_gbfs(day: Simulation):
    mds = MdsData(day)
    documents = day.documents("2.3")
    for index, slug in enumerate(COMPANIES):
        bikes = orjson.loads(documents[f"{slug}/gbfs/2.3/free_bike_status.json"])["data"]["bikes"]
        status = mds.status(index, mds.listed(index))
        on_street = [s for s in status if s["last_event"]["vehicle_state"] in ON_STREET]

        def seen(lat: float, lon: float, state: str, reported: int) -> tuple[object, ...]:
            return (lat, lon, state, reported)

        gbfs = Counter(
            seen(
                b["lat"],
                b["lon"],
                "reserved"
                if b["is_reserved"]
                else "non_operational"
                if b["is_disabled"]
                else "available",
                b["last_reported"] * 1000,
            )
            for b in bikes
        )
        ours = Counter(
            seen(
                s["last_telemetry"]["location"]["lat"],
                s["last_telemetry"]["location"]["lng"],
                s["last_event"]["vehicle_state"],
                s["last_telemetry"]["timestamp"],
            )
            for s in on_street
        )
        assert gbfs == ours, slug
        riding = int(
            ((day.fleet.company == index) & (day.fleet.state == VehicleState.on_trip)).sum()
        )
        assert sum(s["last_event"]["vehicle_state"] == "on_trip" for s in status) == riding > 0
        for record in status[:50]:
            assert model_errors("vehicle-status", record) == []


def test_device_ids_and_printed_codes_stay_while_gbfs_ids_rotate():
    simulation = make_simulation(vehicles=600)
    mds = MdsData(simulation)
    before = {r["device_id"]: r["vehicle_id"] for r in mds.vehicles(0, mds.vehicles_of(0))}
    gbfs_before = list(simulation.fleet.ids)

    simulation.step(3 * 3600)

    after = {r["device_id"]: r["vehicle_id"] for r in mds.vehicles(0, mds.vehicles_of(0))}
    assert before == after
    assert len(set(after.values())) == len(after)  # one code per scooter
    assert all(re.fullmatch(r"JT-\d{6}", code) for code in after.values())
    rotated = sum(a != b for a, b in zip(gbfs_before, simulation.fleet.ids, strict=True))
    assert rotated > 100
    codes = simulation.identities.codes
    assert simulation.identities.by_code(codes[5].lower().replace("-", "")) == 5
    other_seed = make_simulation(vehicles=600, seed=8).identities
    assert other_seed.device_ids[0] != simulation.identities.device_ids[0]
    assert other_seed.provider_ids == simulation.identities.provider_ids


def test_a_finished_trip_matches_its_start_and_end_events(day: Simulation):
    mds, history = MdsData(day), day.history
    t1 = day.start.timestamp() + 7 * HOUR_S  # 18:00-19:00, the evening peak
    trips = mds.company_trips(1, history.trips_ended(t1 - HOUR_S, t1))
    events = mds.company_events(1, history.events_between(t1 - 4 * HOUR_S, t1))
    by_trip: dict[str, dict[str, dict[str, object]]] = {}
    for event in mds.events(1, events):
        for trip_id in event.get("trip_ids", []):
            by_trip.setdefault(trip_id, {})[event["event_types"][0]] = event

    records = mds.trips(1, trips)
    assert len(records) > 20
    for trip in records:
        assert model_errors("trip", trip) == []
        start, end = by_trip[trip["trip_id"]]["trip_start"], by_trip[trip["trip_id"]]["trip_end"]
        assert start["device_id"] == end["device_id"] == trip["device_id"]
        assert (start["timestamp"], end["timestamp"]) == (trip["start_time"], trip["end_time"])
        assert start["location"] == trip["start_location"]
        assert end["location"] == trip["end_location"]
        assert trip["duration"] == (trip["end_time"] - trip["start_time"]) // 1000
        assert trip["currency"] == "KZT" and trip["standard_cost"] >= 25_000  # 250 ₸ to start


def test_reading_mds_changes_nothing_in_the_feeds():
    quiet, read = make_simulation(vehicles=300, seed=3), make_simulation(vehicles=300, seed=3)
    mds = MdsData(read)
    for _ in range(6):
        quiet.step(900)
        read.step(900)
        for index in range(3):
            mds.status(index, mds.listed(index))
            mds.telemetry_points(index, read.timestamp - 900, read.timestamp)

    assert quiet.documents("3.0") == read.documents("3.0")


def test_telemetry_covers_each_trip_once_across_hours(day: Simulation):
    mds = MdsData(day)
    h0 = (int(day.start.timestamp()) // HOUR_S + 6) * HOUR_S
    first = mds.telemetry_points(0, h0, h0 + HOUR_S)
    second = mds.telemetry_points(0, h0 + HOUR_S, h0 + 2 * HOUR_S)
    both = mds.telemetry_points(0, h0, h0 + 2 * HOUR_S)

    assert len(first) + len(second) == len(both) > 100
    assert set(first.trip[first.trip >= 0].tolist()) & set(second.trip[second.trip >= 0].tolist())
    for trip in np.unique(both.trip[both.trip >= 0])[:50].tolist():
        times = both.t[both.trip == trip]
        steps = np.diff(times)
        assert (steps[:-1] == TELEMETRY_EVERY_S).all() and 0 < steps[-1] <= TELEMETRY_EVERY_S
    records = mds.telemetry(0, first.take(np.arange(40)))
    assert all(model_errors("telemetry", r) == [] for r in records)
    ids = [r["telemetry_id"] for r in mds.telemetry(0, both)]
    assert len(set(ids)) == len(ids)


def test_telemetry_of_an_hour_never_changes_once_served():
    simulation = make_simulation(vehicles=600)
    simulation.step(2 * 3600 + 300)
    mds = MdsData(simulation)
    hour = (int(simulation.timestamp) // HOUR_S - 1) * HOUR_S
    served = mds.telemetry(0, mds.telemetry_points(0, hour, hour + HOUR_S))

    simulation.step(3 * 3600)  # the trips still going at the hour's end have ended since

    assert mds.telemetry(0, mds.telemetry_points(0, hour, hour + HOUR_S)) == served


def test_the_history_keeps_a_bounded_window():
    simulation = make_simulation(vehicles=300, tick_s=60.0)
    simulation.history.retention_s = 2 * HOUR_S
    simulation.step(6 * 3600)
    history = simulation.history
    oldest = history.oldest_hour(simulation.timestamp) * HOUR_S

    kept = history.events_between(0, simulation.timestamp + 1)
    assert kept.t.min() >= oldest > simulation.start.timestamp()
    assert history.trips_ended(0, oldest).serial.size == 0
    assert len(history._event_hours) <= 3


def test_monthly_reports_count_trips_and_hide_small_numbers():
    busy = make_simulation(vehicles=3000, start=MONDAY_6AM.replace(hour=7))
    busy.step(3600)
    report = MdsData(busy).report(2, "2025-06")
    assert report is not None
    header, everyone, low_income = (line.split(",") for line in report.strip().splitlines())
    assert header == [
        "provider_id", "start_date", "duration", "special_group_type", "geography_id",
        "vehicle_type", "trip_count", "rider_count",
    ]  # fmt: skip
    history, company = busy.history, busy.fleet.company
    riding = int((company[history.trip >= 0] == 2).sum())
    ended = int((company[history.trips_ended(0, busy.timestamp + 1).vehicle] == 2).sum())
    trips = int(everyone[6])
    assert trips == riding + ended > 100  # every trip started this month, counted once
    assert 0 < int(everyone[7]) <= trips
    assert everyone[1:6] == ["2025-06-01", "P1M", "all_riders", "", "scooter_standing"]
    assert low_income[3] == "low_income" and int(low_income[6]) < trips

    quiet = make_simulation(vehicles=60, start=MONDAY_6AM.replace(hour=8))
    quiet.step(900)
    figures = quiet.history.months.figures(0, "2025-06")
    counts = MdsData(quiet).report(0, "2025-06")
    assert figures is not None and 0 < figures.trips < 10
    assert counts is not None and counts.strip().splitlines()[1].endswith(",-1,-1")
    assert MdsData(quiet).report(0, "2025-05") is None
