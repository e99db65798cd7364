"""From scouts and tasks to the solver's arrays: who may serve what, and the travel times needed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from tartip.ops.dispatch.model import PlanOptions, Scout, Task, TravelMode, UnservedReason
from tartip.ops.dispatch.profiles import PROFILES
from tartip.ops.dispatch.routes import Instance
from tartip.ops.dispatch.travel import TimeCache, straight_line_s


@dataclass
class Problem:
    """An ``Instance`` with the scouts and tasks it was built from and why some have no scout."""

    inst: Instance
    scouts: list[Scout]
    tasks: list[Task]
    now: datetime
    no_candidate: dict[int, UnservedReason]
    outside_zone: set[int]
    estimated: dict[TravelMode, np.ndarray]
    timezone: str

    def task_index(self) -> dict[str, int]:
        """Task id → index."""
        return {t.id: i for i, t in enumerate(self.tasks)}


def task_key(task_id: str) -> str:
    """The place name of a task in the time cache."""
    return f"task:{task_id}"


def scout_key(scout_id: str) -> str:
    """The place name of a scout's position in the time cache."""
    return f"scout:{scout_id}"


def candidates(
    scouts: list[Scout], tasks: list[Task], options: PlanOptions
) -> tuple[list[list[int]], dict[int, UnservedReason], set[int]]:
    """Scouts that may serve each task, the reason where none may, and tasks served off-zone."""
    by_id = {s.id: i for i, s in enumerate(scouts)}
    by_zone: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(scouts):
        for z in sorted(s.zone_ids):
            by_zone[z].append(i)
    allowed: list[list[int]] = []
    reasons: dict[int, UnservedReason] = {}
    outside: set[int] = set()
    for k, task in enumerate(tasks):
        if task.pinned_scout_id is not None:
            pinned = by_id.get(task.pinned_scout_id)
            allowed.append([] if pinned is None else [pinned])
            if pinned is None:
                reasons[k] = UnservedReason.pinned_scout_off_shift
        elif task.zone_id is not None and by_zone.get(task.zone_id):
            allowed.append(by_zone[task.zone_id])
        elif options.cover_uncovered_zones and scouts:
            allowed.append(_nearest_scouts(scouts, task, options.uncovered_candidates))
            outside.add(k)
        else:
            allowed.append([])
            reasons[k] = UnservedReason.no_scout_in_zone
    return allowed, reasons, outside


def _nearest_scouts(scouts: list[Scout], task: Task, count: int) -> list[int]:
    """The ``count`` scouts nearest to the task in a straight line (for an uncovered zone)."""
    crow = straight_line_s([s.position for s in scouts], [task.position], PROFILES[TravelMode.walk])
    return sorted(np.argsort(crow[:, 0], kind="stable")[:count].tolist())


def build(
    scouts: list[Scout],
    tasks: list[Task],
    *,
    now: datetime,
    cache: TimeCache,
    options: PlanOptions,
) -> Problem:
    """The solver's instance, with every travel time it can need fetched into ``cache``."""
    allowed, reasons, outside = candidates(scouts, tasks, options)
    cache.retain({task_key(t.id) for t in tasks} | {scout_key(s.id) for s in scouts})
    t_idx = [cache.add(task_key(t.id), t.position) for t in tasks]
    s_idx = [cache.add(scout_key(s.id), s.position) for s in scouts]
    _fetch_times(scouts, allowed, t_idx, s_idx, cache)
    modes = [s.mode for s in scouts]
    times: dict[TravelMode, np.ndarray] = {}
    estimated: dict[TravelMode, np.ndarray] = {}
    for mode in sorted(set(modes)):
        sec, est = cache.matrix(mode)
        rows = np.asarray(t_idx + s_idx, dtype=np.int64)
        cols = np.asarray(t_idx, dtype=np.int64)
        block = sec[np.ix_(rows, cols)].astype(np.float64)
        times[mode] = np.nan_to_num(block, copy=False, nan=np.inf)
        estimated[mode] = est[np.ix_(rows, cols)]
    inst = Instance(
        weight=np.array([t.priority.weight for t in tasks], dtype=np.float64),
        due=np.array([_offset(t.deadline, now) for t in tasks], dtype=np.float64),
        service=np.array([60.0 * t.service_min for t in tasks], dtype=np.float64),
        rank=np.array([t.priority.rank for t in tasks], dtype=np.int64),
        allowed=allowed,
        start=np.array([max(0.0, _offset(s.free_at, now, 0.0)) for s in scouts]),
        avail=np.array([_offset(s.shift_end, now) for s in scouts], dtype=np.float64),
        modes=modes,
        times=times,
        unserved_penalty=options.unserved_penalty_s,
        late_penalty=options.late_penalty_s,
    )
    return Problem(inst, scouts, tasks, now, reasons, outside, estimated, options.timezone)


def _offset(moment: datetime | None, now: datetime, default: float = np.inf) -> float:
    return default if moment is None else (moment - now).total_seconds()


def _fetch_times(
    scouts: list[Scout],
    allowed: list[list[int]],
    t_idx: list[int],
    s_idx: list[int],
    cache: TimeCache,
) -> None:
    """Times among the tasks each group of scouts (same mode, same tasks) may serve."""
    per_scout: dict[int, list[int]] = defaultdict(list)
    for k, scouts_of_task in enumerate(allowed):
        for s in scouts_of_task:
            per_scout[s].append(k)
    groups: dict[tuple[TravelMode, tuple[int, ...]], list[int]] = defaultdict(list)
    for s, ks in per_scout.items():
        groups[(scouts[s].mode, tuple(ks))].append(s)
    for (mode, key), members in groups.items():
        task_places = [t_idx[k] for k in key]
        rows = task_places + [s_idx[s] for s in members]
        cache.block(mode, rows, task_places)
