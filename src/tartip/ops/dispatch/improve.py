"""Making a plan better: per duty-zone cluster with OR-Tools, and small local moves on re-plan.

Scouts belong to duty zones and a task may only go to its zone's scouts, so the problem falls
apart into clusters (scouts linked by tasks they may share). Each cluster is a small problem
(~4 scouts, ~130 tasks) that OR-Tools' guided local search, seeded with the greedy routes,
improves well within a fraction of a second; the full 60 × 2,000 problem given to one solver
spreads its time thin (PERFORMANCE.md). A cluster's result is kept only when it scores better and
serves every task the seed served.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from tartip.ops.dispatch import ortools_solver
from tartip.ops.dispatch.routes import (
    Instance,
    Routes,
    best_insertion,
    evaluate,
    fit,
    greedy,
    insertion,
    removal,
)

log = logging.getLogger(__name__)

MIN_GAIN_S = 30.0  # a re-plan move must save at least this much (scouts hate churn)


def clusters(inst: Instance) -> list[tuple[list[int], list[int]]]:
    """Groups of (scouts, tasks) that share no task with another group; largest first."""
    parent = list(range(inst.m))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for scouts in inst.allowed:
        for s in scouts[1:]:
            parent[root(s)] = root(scouts[0])
    members: dict[int, tuple[list[int], list[int]]] = {}
    for s in range(inst.m):
        members.setdefault(root(s), ([], []))[0].append(s)
    for t, scouts in enumerate(inst.allowed):
        if scouts:
            members[root(scouts[0])][1].append(t)
    return sorted(members.values(), key=lambda g: -len(g[1]))


def cluster_cost(inst: Instance, scouts: list[int], tasks: list[int], sub: Routes) -> float:
    """Score of one cluster's routes (travel, lateness, and its unserved tasks)."""
    cost = sum(evaluate(inst, s, r).cost for s, r in zip(scouts, sub, strict=True))
    served = {t for r in sub for t in r}
    missing = [t for t in tasks if t not in served]
    return cost + inst.unserved_penalty * float(inst.weight[missing].sum())


def improve_clusters(inst: Instance, routes: Routes, *, budget_s: float) -> Routes:
    """Each cluster through OR-Tools seeded with its current routes, time shared by size."""
    groups = [g for g in clusters(inst) if g[1]]
    total = sum(len(tasks) for _, tasks in groups) or 1
    deadline = time.perf_counter() + budget_s
    out = [list(r) for r in routes]
    for scouts, tasks in groups:
        left = deadline - time.perf_counter()
        if left <= 0.01:
            break
        limit = min(left, budget_s * len(tasks) / total)
        seed = [out[s] for s in scouts]
        new = ortools_solver.solve(inst, scouts, tasks, seed, time_limit_s=limit)
        if new is None:
            continue
        new = _refit(inst, scouts, new)
        served_before = {t for r in seed for t in r}
        served_after = {t for r in new for t in r}
        better = cluster_cost(inst, scouts, tasks, new) < cluster_cost(inst, scouts, tasks, seed)
        if (
            better
            and served_before <= served_after
            and all(evaluate(inst, s, r).feasible for s, r in zip(scouts, new, strict=True))
        ):
            for s, r in zip(scouts, new, strict=True):
                out[s] = r
    return out


def _refit(inst: Instance, scouts: list[int], sub: Routes) -> Routes:
    """A cluster's routes cut to their shift ends, the cut tasks inserted again where they fit."""
    full: Routes = [[] for _ in range(inst.m)]
    for s, r in zip(scouts, sub, strict=True):
        full[s] = r
    full, cut = fit(inst, full)
    full = greedy(inst, full, cut) if cut else full
    return [full[s] for s in scouts]


def polish_route(inst: Instance, scout: int, route: list[int], *, passes: int = 3) -> list[int]:
    """Move single stops within one route while that saves time (no task changes scout)."""
    route = list(route)
    for _ in range(passes):
        improved = False
        for task in list(route):
            ev = evaluate(inst, scout, route)
            k = route.index(task)
            out_gain = float(removal(inst, scout, route, ev)[k])
            rest = route[:k] + route[k + 1 :]
            ev_rest = evaluate(inst, scout, rest)
            cost, ok = insertion(inst, scout, rest, ev_rest, task)
            cost = np.where(ok, cost, np.inf)
            j = int(np.argmin(cost))
            if j != k and out_gain + float(cost[j]) < -1.0:
                rest.insert(j, task)
                route, improved = rest, True
        if not improved:
            break
    return route


def relocate_budgeted(
    inst: Instance, routes: Routes, planned: dict[int, int], *, budget: int, scouts: set[int]
) -> tuple[Routes, int]:
    """Move stops of ``scouts`` to another scout where that saves ≥ MIN_GAIN_S, at most
    ``budget`` of the previously ``planned`` tasks (task → its scout before) ending up moved."""
    routes = [list(r) for r in routes]
    evals = [evaluate(inst, s, r) for s, r in enumerate(routes)]
    moves: list[tuple[float, int]] = []
    for s in sorted(scouts):
        gains = removal(inst, s, routes[s], evals[s])
        for k, task in enumerate(routes[s]):
            others = [c for c in inst.allowed[task] if c != s]
            cost, c, _ = best_insertion(inst, routes, evals, task, others)
            if c >= 0 and gains[k] + cost < -MIN_GAIN_S:
                moves.append((float(gains[k] + cost), task))
    moved = 0
    for _, task in sorted(moves):
        if moved >= budget:
            break
        s = next(i for i, r in enumerate(routes) if task in r)
        k = routes[s].index(task)
        gain = float(removal(inst, s, routes[s], evals[s])[k])
        others = [c for c in inst.allowed[task] if c != s]
        cost, c, pos = best_insertion(inst, routes, evals, task, others)
        if c < 0 or gain + cost >= -MIN_GAIN_S:
            continue
        routes[s].pop(k)
        routes[c].insert(pos, task)
        evals[s], evals[c] = evaluate(inst, s, routes[s]), evaluate(inst, c, routes[c])
        moved += int(planned.get(task, c) != c) - int(planned.get(task, s) != s)
    return routes, moved
