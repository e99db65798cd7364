"""OR-Tools routing on a (sub)problem, seeded with given routes and bounded by a time limit.

The model: open routes (a scout ends where the last task is: every route ends at a dummy node
reached at no cost), one time dimension (travel + work, no waiting), the shift end as a hard
bound on each route's end, each task droppable for its unserved penalty, its deadline as a soft
bound (OR-Tools prices lateness per second, not per late task: ``LATE_COST_PER_S`` × weight, so
that ~15 min late costs about one late penalty), and the scouts allowed per task. Costs are whole
seconds, so the caller fits the result to our exact times (``routes.fit``) and scores it again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from tartip.ops.dispatch.routes import FloatArray, Instance, Routes

log = logging.getLogger(__name__)

UNREACHABLE = 10_000_000  # seconds: an arc no route may use
LATE_WINDOW_S = 900.0
END_TOLERANCE_S = 60


def solve(
    inst: Instance,
    scouts: Sequence[int],
    tasks: Sequence[int],
    seed: Routes,
    *,
    time_limit_s: float,
) -> Routes | None:
    """Improved routes for ``scouts`` (in that order) over ``tasks``; None if OR-Tools fails."""
    k, v = len(tasks), len(scouts)
    local = {t: i for i, t in enumerate(tasks)}
    manager = pywrapcp.RoutingIndexManager(k + v + 1, v, [k + i for i in range(v)], [k + v] * v)
    routing = pywrapcp.RoutingModel(manager)
    mode_cb: dict[str, tuple[int, int]] = {}
    vehicle_time: list[int] = []
    for i, s in enumerate(scouts):
        mode = inst.modes[s]
        if mode not in mode_cb:
            travel = _node_matrix(inst, inst.times[mode], scouts, tasks)
            work = travel.copy()
            work[:k, :] += np.rint(inst.service[list(tasks)]).astype(np.int64)[:, None]
            work[:, k + v] = 0
            mode_cb[mode] = (
                routing.RegisterTransitMatrix(travel.tolist()),
                routing.RegisterTransitMatrix(work.tolist()),
            )
        routing.SetArcCostEvaluatorOfVehicle(mode_cb[mode][0], i)
        vehicle_time.append(mode_cb[mode][1])
    horizon = int(np.nanmax(np.concatenate([inst.avail[list(scouts)], [0.0]]))) + 1
    routing.AddDimensionWithVehicleTransits(vehicle_time, 0, max(horizon, 1), False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for i, s in enumerate(scouts):
        start = int(inst.start[s])
        time_dim.CumulVar(routing.Start(i)).SetRange(start, start)
        # Whole seconds drift from our exact times; the caller cuts what overruns (routes.fit).
        end = int(inst.avail[s]) + END_TOLERANCE_S
        time_dim.CumulVar(routing.End(i)).SetMax(max(end, start))
    _task_constraints(inst, routing, manager, time_dim, scouts, tasks)
    initial = routing.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(local[t]) for t in r] for r in seed], True
    )
    if initial is None:
        log.warning("OR-Tools refused the seed routes (%d tasks)", k)
        return None
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(10, int(1000 * time_limit_s)))
    solution = routing.SolveFromAssignmentWithParameters(initial, params)
    if solution is None:
        return None
    out: Routes = []
    for i in range(v):
        route, index = [], solution.Value(routing.NextVar(routing.Start(i)))
        while not routing.IsEnd(index):
            route.append(tasks[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        out.append(route)
    return out


def _task_constraints(
    inst: Instance,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dim: pywrapcp.RoutingDimension,
    scouts: Sequence[int],
    tasks: Sequence[int],
) -> None:
    """Drop penalties, soft deadlines and allowed scouts per task."""
    vehicle_of = {s: i for i, s in enumerate(scouts)}
    for node, t in enumerate(tasks):
        index = manager.NodeToIndex(node)
        weight = float(inst.weight[t])
        routing.AddDisjunction([index], int(inst.unserved_penalty * weight))
        if np.isfinite(inst.due[t]):
            latest_arrival = max(0, int(inst.due[t] - inst.service[t]))
            per_s = max(1, round(inst.late_penalty * weight / LATE_WINDOW_S))
            time_dim.SetCumulVarSoftUpperBound(index, latest_arrival, per_s)
        allowed = [vehicle_of[s] for s in inst.allowed[t] if s in vehicle_of]
        if len(allowed) < len(scouts):
            # -1 keeps "not performed" possible (the disjunction); SetAllowedVehiclesForIndex
            # is not usable from Python in OR-Tools 9.15 (its absl::Span argument).
            routing.VehicleVar(index).SetValues([-1, *allowed])


def _node_matrix(
    inst: Instance, times: FloatArray, scouts: Sequence[int], tasks: Sequence[int]
) -> np.ndarray:
    """Whole seconds between the model's nodes: tasks, scout starts, then the open end."""
    k, v = len(tasks), len(scouts)
    rows = np.concatenate([np.asarray(tasks), inst.n + np.asarray(scouts)]).astype(np.int64)
    sub = times[np.ix_(rows, np.asarray(tasks, dtype=np.int64))]
    out = np.full((k + v + 1, k + v + 1), UNREACHABLE, dtype=np.int64)
    out[:, k:] = UNREACHABLE
    out[: k + v, :k] = np.where(np.isfinite(sub), np.rint(sub), UNREACHABLE).astype(np.int64)
    out[:, k + v] = 0
    np.fill_diagonal(out, 0)
    return out
