"""The MDS 2.0 vehicle state machine of the micromobility mode: which events may follow which state.

The transitions are read from ``data/mds-schemas/state-machine/mds-2.0.2-state-machine.json``, a
transcription of the tables in MDS 2.0.2 ``modes/micromobility.md`` (45 transitions). An event may
carry several ordered ``event_types`` (``[trip_end, battery_low]``): the vehicle passes through the
intermediate states, so each type must be possible from some state the previous one could reach,
and the last must reach the event's ``vehicle_state``.

``check`` never rejects: MDS says prior-state validity "shall not be enforced at the time of
ingest" (events may arrive out of order), so an impossible transition is stored and flagged with
the reason ``check`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

STATE_MACHINE = "data/mds-schemas/state-machine/mds-2.0.2-state-machine.json"
MODE = "micromobility"
# Event types that belong to a trip: an event with one of them must name its trip (MDS 2.0
# micromobility "Trip ID Requirements").
TRIP_EVENT_TYPES = frozenset(
    {"trip_start", "trip_end", "trip_cancel", "trip_enter_jurisdiction", "trip_leave_jurisdiction"}
)
_MAX_REASON = 255


@dataclass(frozen=True)
class StateMachine:
    """The states, event types and transitions of one MDS mode."""

    states: frozenset[str]
    event_types: frozenset[str]
    # (event type, from state) → the states it may lead to.
    moves: dict[tuple[str, str], frozenset[str]]
    # event type → every state it may lead to, from anywhere.
    leads_to: dict[str, frozenset[str]]

    def reachable(self, start: frozenset[str], event_type: str) -> frozenset[str]:
        """The states ``event_type`` may lead to from any of ``start``."""
        found: set[str] = set()
        for state in start:
            found |= self.moves.get((event_type, state), frozenset())
        return frozenset(found)

    def check(
        self, previous: str | None, event_types: Sequence[str], vehicle_state: str
    ) -> str | None:
        """Why the event cannot follow ``previous`` (None: it can, or nothing is known before it).

        ``previous`` None (the first event seen of a vehicle) still checks that the types can
        reach ``vehicle_state`` at all.
        """
        if vehicle_state not in self.states:
            return _cut(f"{vehicle_state!r} is not a {MODE} vehicle state")
        unknown = [t for t in event_types if t not in self.event_types]
        if unknown:
            return _cut(f"{', '.join(unknown)} is not a {MODE} event type")
        if not event_types:
            return "no event type"
        current = self.states if previous is None else frozenset({previous})
        for event_type in event_types:
            after = self.reachable(current, event_type)
            if not after:
                where = f"from {previous}" if previous is not None else "at all"
                if previous is not None and event_type != event_types[0]:
                    where = f"after {event_types[0]} from {previous}"
                return _cut(f"{event_type} cannot happen {where}")
            current = after
        if vehicle_state not in current:
            path = " then ".join(event_types)
            origin = f"from {previous} " if previous is not None else ""
            reached = ", ".join(sorted(current))
            return _cut(f"{path} {origin}leads to {reached}, not {vehicle_state}")
        return None


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


@cache
def micromobility() -> StateMachine:
    """The micromobility state machine, read once."""
    raw = json.loads((resources.files("tartip") / STATE_MACHINE).read_text(encoding="utf-8"))
    mode = raw["modes"][MODE]
    moves: dict[tuple[str, str], set[str]] = {}
    leads_to: dict[str, set[str]] = {}
    for move in mode["transitions"]:
        for origin in move["from"]:
            moves.setdefault((move["event_type"], origin), set()).add(move["to"])
        leads_to.setdefault(move["event_type"], set()).add(move["to"])
    return StateMachine(
        states=frozenset(mode["vehicle_states"]),
        event_types=frozenset(mode["event_types"]),
        moves={key: frozenset(value) for key, value in moves.items()},
        leads_to={key: frozenset(value) for key, value in leads_to.items()},
    )
