"""The planner's inputs and outputs: plain, immutable dataclasses (no ORM, no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

LonLat = tuple[float, float]


class TravelMode(StrEnum):
    """How a scout moves through the city."""

    walk = "walk"
    bike = "bike"
    car = "car"


class Priority(StrEnum):
    """How much a task matters; the weight multiplies its penalties in the score."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

    @property
    def weight(self) -> float:
        """The score weight of this priority (doubling per level)."""
        return PRIORITY_WEIGHT[self]

    @property
    def rank(self) -> int:
        """0 for low … 3 for urgent (greedy insertion takes higher ranks first)."""
        return list(Priority).index(self)


PRIORITY_WEIGHT = {
    Priority.low: 1.0,
    Priority.normal: 2.0,
    Priority.high: 4.0,
    Priority.urgent: 8.0,
}


@dataclass(frozen=True)
class Scout:
    """A scout on shift: where they are now, how they move, their duty zones and shift end.

    ``current_route`` is the scout's route as last planned (task ids in order); ``replan`` keeps
    it and only inserts, drops finished tasks and improves locally. ``free_at`` is when the
    scout finishes what they are doing now (None: free now).
    """

    id: str
    position: LonLat
    mode: TravelMode
    zone_ids: frozenset[str]
    shift_end: datetime
    current_route: tuple[str, ...] = ()
    free_at: datetime | None = None


@dataclass(frozen=True)
class Task:
    """An open task: where, how important, by when (done by ``deadline``), how long on site."""

    id: str
    position: LonLat
    priority: Priority = Priority.normal
    deadline: datetime | None = None
    service_min: float = 5.0
    zone_id: str | None = None
    pinned_scout_id: str | None = None


class UnservedReason(StrEnum):
    """Why a task has no scout in the plan."""

    no_scout_in_zone = "no_scout_in_zone"
    pinned_scout_off_shift = "pinned_scout_off_shift"
    no_time_before_shift_end = "no_time_before_shift_end"


class ExplanationCode(StrEnum):
    """Why this scout got this task (the text is built from the code and the figures)."""

    pinned = "pinned"
    nearest_in_zone = "nearest_in_zone"
    on_route_in_zone = "on_route_in_zone"
    outside_zone = "outside_zone"


@dataclass(frozen=True)
class Explanation:
    """Why a task went to a scout: the code, the figures behind it and a sentence for people."""

    code: ExplanationCode
    text: str
    candidates: int
    rank: int
    direct_s: float
    leg_s: float
    estimated: bool


@dataclass(frozen=True)
class Stop:
    """One task on a scout's route, with its ETA (arrival), finish and lateness."""

    task_id: str
    arrival: datetime
    finish: datetime
    leg_s: float
    late: bool
    explanation: Explanation


@dataclass(frozen=True)
class Route:
    """A scout's ordered route."""

    scout_id: str
    stops: tuple[Stop, ...]
    travel_s: float

    @property
    def task_ids(self) -> tuple[str, ...]:
        """The task ids in route order."""
        return tuple(stop.task_id for stop in self.stops)


@dataclass(frozen=True)
class Unserved:
    """A task left without a scout, and why."""

    task_id: str
    reason: UnservedReason
    detail: str


@dataclass(frozen=True)
class Score:
    """How every plan is scored (seconds): travel + weighted penalties (docs/dispatch.md)."""

    travel_s: float
    late_penalty_s: float
    unserved_penalty_s: float
    served: int
    late: int
    unserved: int

    @property
    def total_s(self) -> float:
        """Travel time plus the penalties."""
        return self.travel_s + self.late_penalty_s + self.unserved_penalty_s


@dataclass(frozen=True)
class PlanStats:
    """What planning cost: wall time per step, searches run, estimated times, tasks moved."""

    travel_times_s: float
    construct_s: float
    improve_s: float
    searches: int
    estimated_pairs: int
    moved: int = 0
    previously_planned: int = 0


@dataclass(frozen=True)
class Plan:
    """Every scout's route, the tasks left unserved with reasons, and the plan's score."""

    at: datetime
    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    score: Score
    stats: PlanStats

    def route_of(self, scout_id: str) -> Route | None:
        """The route of ``scout_id``, if the scout is in the plan."""
        return next((r for r in self.routes if r.scout_id == scout_id), None)

    def assignment(self) -> dict[str, str]:
        """Task id → scout id for every served task."""
        return {stop.task_id: r.scout_id for r in self.routes for stop in r.stops}


@dataclass(frozen=True)
class PlanOptions:
    """Knobs of the planner; the defaults are what the benchmark measures."""

    unserved_penalty_s: float = 7200.0
    late_penalty_s: float = 1800.0
    # Improvement gets improve_time_s, less whatever keeps a cold plan within plan_time_s (a
    # busy machine makes travel times slower; the plan still comes in time).
    improve_time_s: float = 4.0
    plan_time_s: float = 8.0
    replan_move_share: float = 0.05
    cover_uncovered_zones: bool = True
    uncovered_candidates: int = 3
    timezone: str = "Asia/Almaty"
