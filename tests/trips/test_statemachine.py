"""The MDS micromobility state machine: transitions read from the transcription of MDS 2.0.2."""

from __future__ import annotations

import pytest

from tartip.trips.statemachine import micromobility


@pytest.mark.parametrize(
    ("previous", "types", "state"),
    [
        ("available", ["trip_start"], "on_trip"),
        ("reserved", ["trip_start"], "on_trip"),
        ("on_trip", ["trip_end"], "available"),
        ("on_trip", ["trip_end", "battery_low"], "non_operational"),  # through available
        ("non_operational", ["maintenance_pick_up"], "removed"),
        ("removed", ["provider_drop_off"], "available"),
        ("missing", ["located"], "reserved"),  # missing may go anywhere when located
        ("on_trip", ["comms_lost"], "non_contactable"),
        (None, ["trip_end"], "available"),  # nothing known before: only the end is checked
    ],
)
def test_possible_transitions_pass(previous: str | None, types: list[str], state: str):
    assert micromobility().check(previous, types, state) is None


@pytest.mark.parametrize(
    ("previous", "types", "state", "reason"),
    [
        ("on_trip", ["trip_start"], "on_trip", "trip_start cannot happen from on_trip"),
        ("available", ["trip_end"], "available", "trip_end cannot happen from available"),
        ("removed", ["trip_start"], "on_trip", "trip_start cannot happen from removed"),
        (
            "on_trip",
            ["trip_end", "trip_start"],
            "available",
            "trip_end then trip_start from on_trip leads to on_trip, not available",
        ),
        (
            "on_trip",
            ["trip_end", "maintenance_pick_up"],
            "on_trip",
            "trip_end then maintenance_pick_up from on_trip leads to removed, not on_trip",
        ),
        (None, ["trip_start"], "available", "trip_start leads to on_trip, not available"),
        ("available", ["teleported"], "available", "teleported is not a micromobility event type"),
        ("available", ["located"], "stopped", "'stopped' is not a micromobility vehicle state"),
    ],
)
def test_impossible_transitions_say_why(
    previous: str | None, types: list[str], state: str, reason: str
):
    assert micromobility().check(previous, types, state) == reason


def test_the_transcription_has_the_45_micromobility_transitions():
    machine = micromobility()
    pairs = sum(len(targets) for targets in machine.moves.values())
    assert len(machine.states) == 8 and len(machine.event_types) == 27
    assert pairs >= 45  # a row with several "from" states counts once per state
    assert machine.moves[("maintenance_pick_up", "available")] == frozenset({"removed"})
