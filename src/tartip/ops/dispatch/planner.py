"""The planner the ops domain calls: ``Planner.plan`` cold, ``Planner.replan`` as work changes.

A ``Planner`` keeps the travel times it has fetched (``TimeCache``) between calls, so a re-plan
only searches from and to the places that are new (or scouts that moved).

Cold plan: greedy cheapest insertion (priority, then deadline), then each duty-zone cluster
improved by OR-Tools seeded with the greedy routes. Re-plan: keep every scout's current route
(dropping finished tasks), insert new tasks at their cheapest feasible place, tidy the routes
that changed, and move at most ``replan_move_share`` of the already planned tasks to another
scout, and only where that clearly pays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from tartip.ops.dispatch.explain import route_explanations
from tartip.ops.dispatch.improve import improve_clusters, polish_route, relocate_budgeted
from tartip.ops.dispatch.model import (
    Plan,
    PlanOptions,
    PlanStats,
    Route,
    Score,
    Scout,
    Stop,
    Task,
    Unserved,
    UnservedReason,
)
from tartip.ops.dispatch.problem import Problem, build
from tartip.ops.dispatch.routes import Routes, evaluate, greedy, total_score
from tartip.ops.dispatch.travel import TimeCache, TravelTimeSource

log = logging.getLogger(__name__)

# Seconds kept back from the improvement budget for the last insertion pass and the output.
ASSEMBLY_RESERVE_S = 0.8

UNSERVED_TEXT = {
    UnservedReason.no_scout_in_zone: "No scout on shift covers duty zone {zone}.",
    UnservedReason.pinned_scout_off_shift: "Pinned to scout {pinned}, who is not on shift.",
    UnservedReason.no_time_before_shift_end: (
        "No scout who may take it can fit it before their shift ends."
    ),
}


class Planner:
    """Plans and re-plans scouts' routes; keeps travel times between calls."""

    def __init__(self, source: TravelTimeSource, options: PlanOptions | None = None) -> None:
        self.source = source
        self.options = options or PlanOptions()
        self.cache = TimeCache(source)

    def _searches(self) -> int:
        return int(getattr(self.source, "searches", 0))

    def plan(self, scouts: Sequence[Scout], tasks: Sequence[Task], *, now: datetime) -> Plan:
        """A plan from scratch (scouts' current routes are ignored)."""
        started, searches = time.perf_counter(), self._searches()
        problem = build(list(scouts), list(tasks), now=now, cache=self.cache, options=self.options)
        t_times = time.perf_counter()
        routes = greedy(problem.inst)
        t_greedy = time.perf_counter()
        left = self.options.plan_time_s - (t_greedy - started) - ASSEMBLY_RESERVE_S
        budget = max(0.0, min(self.options.improve_time_s, left))
        routes = improve_clusters(problem.inst, routes, budget_s=budget)
        # Shorter routes may leave room for tasks the greedy could not fit.
        served = {t for r in routes for t in r}
        routes = greedy(problem.inst, routes, [t for t in range(problem.inst.n) if t not in served])
        t_done = time.perf_counter()
        stats = PlanStats(
            travel_times_s=t_times - started,
            construct_s=t_greedy - t_times,
            improve_s=t_done - t_greedy,
            searches=self._searches() - searches,
            estimated_pairs=_estimated_pairs(problem, routes),
        )
        return assemble(problem, routes, stats)

    def replan(self, scouts: Sequence[Scout], tasks: Sequence[Task], *, now: datetime) -> Plan:
        """Keep current routes, insert what is new, improve locally, move few tasks elsewhere."""
        started, searches = time.perf_counter(), self._searches()
        problem = build(list(scouts), list(tasks), now=now, cache=self.cache, options=self.options)
        t_times = time.perf_counter()
        routes, planned, todo = _current_routes(problem)
        routes = greedy(problem.inst, routes, todo)
        t_greedy = time.perf_counter()
        inserted = set(todo)
        changed = {s for s, r in enumerate(routes) if inserted.intersection(r)}
        for s in changed:
            routes[s] = polish_route(problem.inst, s, routes[s])
        budget = int(self.options.replan_move_share * len(planned))
        already = sum(1 for t, s in planned.items() if t not in routes[s] and _served(routes, t))
        routes, _ = relocate_budgeted(
            problem.inst, routes, planned, budget=max(0, budget - already), scouts=changed
        )
        moved = sum(1 for t, s in planned.items() if t not in routes[s] and _served(routes, t))
        stats = PlanStats(
            travel_times_s=t_times - started,
            construct_s=t_greedy - t_times,
            improve_s=time.perf_counter() - t_greedy,
            searches=self._searches() - searches,
            estimated_pairs=_estimated_pairs(problem, routes),
            moved=moved,
            previously_planned=len(planned),
        )
        return assemble(problem, routes, stats)


def _served(routes: Routes, task: int) -> bool:
    return any(task in r for r in routes)


def _current_routes(problem: Problem) -> tuple[Routes, dict[int, int], list[int]]:
    """Scouts' current routes (open tasks they may still serve), the task → scout map, and the
    tasks to insert: new ones, and those cut from routes that no longer fit the shift."""
    inst, index = problem.inst, problem.task_index()
    routes: Routes = []
    planned: dict[int, int] = {}
    for s, scout in enumerate(problem.scouts):
        route = []
        for tid in scout.current_route:
            k = index.get(tid)
            if k is not None and k not in planned and s in inst.allowed[k]:
                route.append(k)
                planned[k] = s
        routes.append(route)
    cut: list[int] = []
    for s, route in enumerate(routes):
        # A shift that now ends sooner, or a scout who is late, may make a route too long.
        while route and not evaluate(inst, s, route).feasible:
            cut.append(route.pop())
    todo = [k for k in range(inst.n) if k not in planned] + cut
    return routes, planned, todo


def _estimated_pairs(problem: Problem, routes: Routes) -> int:
    """Legs of the plan whose travel time is a straight-line estimate."""
    inst, count = problem.inst, 0
    for s, route in enumerate(routes):
        est = problem.estimated[inst.modes[s]]
        prev = inst.n + s
        for t in route:
            count += bool(est[prev, t])
            prev = t
    return count


def assemble(problem: Problem, routes: Routes, stats: PlanStats) -> Plan:
    """The ``Plan``: routes with ETAs and explanations, unserved tasks with reasons, the score."""
    inst = problem.inst
    out: list[Route] = []
    for s, route in enumerate(routes):
        ev = evaluate(inst, s, route)
        notes = route_explanations(problem, s, route, ev.finish, ev.late)
        stops = tuple(
            Stop(
                task_id=problem.tasks[t].id,
                arrival=problem.now + timedelta(seconds=float(ev.arrival[i])),
                finish=problem.now + timedelta(seconds=float(ev.finish[i])),
                leg_s=float(ev.legs[i]),
                late=bool(ev.late[i]),
                explanation=notes[i],
            )
            for i, t in enumerate(route)
        )
        out.append(Route(scout_id=problem.scouts[s].id, stops=stops, travel_s=ev.travel))
    travel, late_pen, unserved_pen, served = total_score(inst, routes)
    unserved = tuple(_unserved(problem, k) for k in range(inst.n) if k not in served)
    score = Score(
        travel_s=travel,
        late_penalty_s=late_pen,
        unserved_penalty_s=unserved_pen,
        served=len(served),
        late=sum(s.late for r in out for s in r.stops),
        unserved=len(unserved),
    )
    return Plan(at=problem.now, routes=tuple(out), unserved=unserved, score=score, stats=stats)


def _unserved(problem: Problem, k: int) -> Unserved:
    task = problem.tasks[k]
    reason = problem.no_candidate.get(k, UnservedReason.no_time_before_shift_end)
    detail = UNSERVED_TEXT[reason].format(zone=task.zone_id, pinned=task.pinned_scout_id)
    return Unserved(task_id=task.id, reason=reason, detail=detail)
