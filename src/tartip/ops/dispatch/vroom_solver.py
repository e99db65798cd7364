"""VROOM (pyvroom) on a whole instance, seeded with given routes: a benchmark baseline only.

pyvroom is an optional dependency (the ``bench`` extra). VROOM has no soft time windows, so a
deadline becomes a hard window only for tasks the seed finishes on time (the seed stays feasible);
other tasks get none. A task's skill is its allowed scouts, and VROOM's priority (assigned tasks
first) follows the priority weight. Durations are whole seconds of the same travel times.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from tartip.ops.dispatch.routes import Instance, Routes, evaluate

SLACK_S = 30
UNREACHABLE = 86_400  # a day: VROOM refuses costs that could overflow its sums


def solve(inst: Instance, seed: Routes, *, time_limit_s: float, threads: int = 2) -> Routes:
    """Routes for every scout from VROOM, started from ``seed``."""
    import vroom  # noqa: PLC0415 - optional dependency of the benchmark only

    problem = vroom.Input()
    for mode in sorted(set(inst.modes)):
        problem.set_durations_matrix(profile=str(mode), matrix_input=_matrix(inst, mode))
    on_time = _on_time(inst, seed)
    # VROOM needs a vehicle to hold *all* of a job's skills: one skill per set of allowed scouts.
    skill_of = {key: i + 1 for i, key in enumerate(sorted({tuple(a) for a in inst.allowed}))}
    vehicle_skills: list[set[int]] = [set() for _ in range(inst.m)]
    for key, skill in skill_of.items():
        for s in key:
            vehicle_skills[s].add(skill)
    jobs = []
    for t in range(inst.n):
        if not inst.allowed[t]:
            continue
        # VROOM windows bound the start of the work; our deadline bounds its end.
        # (+ SLACK_S: whole seconds round differently than our times; the seed must stay valid.)
        latest = int(inst.due[t] - inst.service[t]) + SLACK_S if t in on_time else -1
        windows = [vroom.TimeWindow(0, max(0, latest))] if latest >= 0 else []
        jobs.append(
            vroom.Job(
                id=t + 1,
                location=t,
                default_service=int(np.rint(inst.service[t])),
                skills={skill_of[tuple(inst.allowed[t])]},
                priority=min(100, int(inst.weight[t] * 10)),
                time_windows=windows,
            )
        )
    problem.add_job(jobs)
    problem.add_vehicle(
        [
            vroom.Vehicle(
                id=s + 1,
                start=inst.n + s,
                profile=str(inst.modes[s]),
                skills=vehicle_skills[s],
                time_window=vroom.TimeWindow(int(inst.start[s]), int(inst.avail[s]) + SLACK_S),
                steps=[vroom.VehicleStep("start")]
                + [vroom.VehicleStep("single", t + 1) for t in seed[s]],
            )
            for s in range(inst.m)
        ]
    )
    solution = problem.solve(
        exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=time_limit_s)
    )
    return _routes(inst, solution.routes)


def _on_time(inst: Instance, seed: Routes) -> set[int]:
    out: set[int] = set()
    for s, route in enumerate(seed):
        ev = evaluate(inst, s, route)
        out.update(t for t, late in zip(route, ev.late, strict=True) if not late)
    return {t for t in out if np.isfinite(inst.due[t])}


def _matrix(inst: Instance, mode: Any) -> np.ndarray:
    """Durations between all locations: tasks 0..n-1, then scout starts."""
    size = inst.n + inst.m
    out = np.full((size, size), UNREACHABLE, dtype=np.uint32)
    times = inst.times[mode]
    out[:, : inst.n] = np.where(np.isfinite(times), np.rint(times), UNREACHABLE)
    np.fill_diagonal(out, 0)
    return out


def _routes(inst: Instance, frame: Any) -> Routes:
    out: Routes = [[] for _ in range(inst.m)]
    jobs = frame[frame["type"] == "job"]
    for vehicle, job in zip(jobs["vehicle_id"].tolist(), jobs["id"].tolist(), strict=True):
        out[int(vehicle) - 1].append(int(job) - 1)
    return out
