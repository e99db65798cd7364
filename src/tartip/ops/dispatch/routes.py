"""The solver's arrays, route evaluation, insertion and removal costs, and the score.

Times are seconds from "now". A scout leaves their position at ``start`` (0, or when their current
work ends), walks or rides to each task, works ``service`` seconds, and must be done by ``avail``
(shift end: hard). A task is late when its work finishes after its deadline (soft: a penalty).
Nobody waits, so delaying one stop delays every later stop by the same amount — which lets an
insertion be priced for every position of a route at once with numpy.

Score (seconds) = travel time of all routes
                + late_penalty × Σ priority weight of late tasks
                + unserved_penalty × Σ priority weight of unserved tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tartip.ops.dispatch.model import TravelMode

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
Routes = list[list[int]]


@dataclass
class Instance:
    """Tasks 0..n-1 and scouts 0..m-1 as arrays; ``times[mode]`` rows: tasks, then scout starts."""

    weight: FloatArray
    due: FloatArray  # latest finish (deadline), inf when none
    service: FloatArray
    rank: IntArray  # priority rank, for insertion order
    allowed: list[list[int]]  # scouts that may serve each task
    start: FloatArray  # when each scout is free to leave their position
    avail: FloatArray  # shift end of each scout
    modes: list[TravelMode]
    times: dict[TravelMode, FloatArray]
    unserved_penalty: float
    late_penalty: float

    @property
    def n(self) -> int:
        """Number of tasks."""
        return int(self.weight.size)

    @property
    def m(self) -> int:
        """Number of scouts."""
        return int(self.avail.size)

    def matrix(self, scout: int) -> FloatArray:
        """The travel-time matrix of this scout's mode."""
        return self.times[self.modes[scout]]


@dataclass
class RouteEval:
    """A route's legs, arrival and finish per stop, travel, late stops, cost and feasibility."""

    legs: FloatArray
    arrival: FloatArray
    finish: FloatArray
    travel: float
    late: Any
    cost: float
    end: float
    feasible: bool


def evaluate(inst: Instance, scout: int, route: list[int]) -> RouteEval:
    """Times and cost of one scout's route."""
    t = inst.matrix(scout)
    r = np.asarray(route, dtype=np.int64)
    if r.size == 0:
        empty = np.zeros(0)
        start = float(inst.start[scout])
        return RouteEval(empty, empty, empty, 0.0, empty.astype(bool), 0.0, start, True)
    prev = np.concatenate([[inst.n + scout], r[:-1]])
    legs = t[prev, r]
    service = inst.service[r]
    finish = inst.start[scout] + np.cumsum(legs + service)
    arrival = finish - service
    late = finish > inst.due[r]
    travel = float(legs.sum())
    cost = travel + inst.late_penalty * float(inst.weight[r][late].sum())
    end = float(finish[-1])
    feasible = bool(end <= inst.avail[scout]) and bool(np.isfinite(travel))
    return RouteEval(legs, arrival, finish, travel, late, cost, end, feasible)


def insertion(
    inst: Instance, scout: int, route: list[int], ev: RouteEval, task: int
) -> tuple[FloatArray, Any]:
    """Cost change and feasibility of putting ``task`` before each stop of a route (or last)."""
    t = inst.matrix(scout)
    r = np.asarray(route, dtype=np.int64)
    prev = np.concatenate([[inst.n + scout], r])
    d_prev = t[prev, task]
    d_next = np.concatenate([t[task, r] - ev.legs, [0.0]])
    delta_travel = d_prev + d_next
    depart = np.concatenate([[inst.start[scout]], ev.finish])
    own_finish = depart + d_prev + inst.service[task]
    own_late = own_finish > inst.due[task]
    shift = delta_travel + inst.service[task]
    feasible = (ev.end + shift <= inst.avail[scout]) & np.isfinite(delta_travel)
    cost = delta_travel + inst.late_penalty * (
        inst.weight[task] * own_late + _lateness_change(inst, r, ev, shift)
    )
    return cost, feasible


def removal(inst: Instance, scout: int, route: list[int], ev: RouteEval) -> FloatArray:
    """Cost change of taking each stop out of a route (negative: the route gets cheaper)."""
    t = inst.matrix(scout)
    r = np.asarray(route, dtype=np.int64)
    if r.size == 0:
        return np.zeros(0)
    prev = np.concatenate([[inst.n + scout], r[:-1]])
    bridge = np.concatenate([t[prev[:-1], r[1:]], [0.0]]) if r.size > 1 else np.zeros(1)
    nxt_leg = np.concatenate([ev.legs[1:], [0.0]])
    delta_travel = bridge - ev.legs - nxt_leg
    shift = delta_travel - inst.service[r]
    own = inst.weight[r] * ev.late
    # Stops after the removed one move earlier by -shift: count only those strictly after it.
    after = _lateness_change(inst, r, ev, shift, offset=1)
    out: FloatArray = delta_travel + inst.late_penalty * (after - own)
    return out


def _lateness_change(
    inst: Instance, r: IntArray, ev: RouteEval, shift: FloatArray, *, offset: int = 0
) -> FloatArray:
    """Weight of stops made late (minus those made on time) by delaying stops ≥ i by shift[i]."""
    if r.size == 0:
        return np.zeros(shift.size)
    slack = inst.due[r] - ev.finish
    w = inst.weight[r]
    pos = np.arange(shift.size)[:, None]
    later = np.arange(r.size)[None, :] >= pos + offset
    s = shift[:, None]
    made_late = later & (slack >= 0) & (slack < s)
    made_on_time = later & (slack < 0) & (slack >= s)
    out: FloatArray = (made_late.astype(float) - made_on_time.astype(float)) @ w
    return out


def best_insertion(
    inst: Instance, routes: Routes, evals: list[RouteEval], task: int, scouts: list[int]
) -> tuple[float, int, int]:
    """Cheapest feasible (cost, scout, position) for ``task`` among ``scouts``; scout -1 if none."""
    best = (np.inf, -1, -1)
    for s in scouts:
        cost, ok = insertion(inst, s, routes[s], evals[s], task)
        if not ok.any():
            continue
        cost = np.where(ok, cost, np.inf)
        k = int(np.argmin(cost))
        if cost[k] < best[0]:
            best = (float(cost[k]), s, k)
    return best


def total_score(inst: Instance, routes: Routes) -> tuple[float, float, float, set[int]]:
    """(travel, late penalty, unserved penalty, served tasks) of a whole solution."""
    travel = late = 0.0
    served: set[int] = set()
    for s, route in enumerate(routes):
        ev = evaluate(inst, s, route)
        travel += ev.travel
        late += ev.cost - ev.travel
        served.update(route)
    missing = np.setdiff1d(np.arange(inst.n), np.fromiter(served, dtype=np.int64))
    unserved = inst.unserved_penalty * float(inst.weight[missing].sum())
    return travel, late, unserved, served


def score_value(inst: Instance, routes: Routes) -> float:
    """The score of a whole solution, in seconds."""
    travel, late, unserved, _ = total_score(inst, routes)
    return travel + late + unserved


def insertion_order(inst: Instance, tasks: list[int]) -> list[int]:
    """Higher priority first, then earlier deadline (the greedy's order)."""
    return sorted(tasks, key=lambda k: (-int(inst.rank[k]), float(inst.due[k]), k))


def greedy(inst: Instance, routes: Routes | None = None, tasks: list[int] | None = None) -> Routes:
    """Cheapest feasible insertion in priority-then-deadline order (the baseline and the seed)."""
    routes = [list(r) for r in routes] if routes else [[] for _ in range(inst.m)]
    evals = [evaluate(inst, s, r) for s, r in enumerate(routes)]
    todo = list(range(inst.n)) if tasks is None else tasks
    for task in insertion_order(inst, todo):
        cost, s, k = best_insertion(inst, routes, evals, task, inst.allowed[task])
        if s >= 0:
            routes[s].insert(k, task)
            evals[s] = evaluate(inst, s, routes[s])
    return routes


def fit(inst: Instance, routes: Routes) -> tuple[Routes, list[int]]:
    """Routes cut to end by their shift ends in exact times, and the tasks cut off."""
    out = [list(r) for r in routes]
    cut: list[int] = []
    for s, route in enumerate(out):
        while route and not evaluate(inst, s, route).feasible:
            cut.append(route.pop())
    return out, cut
