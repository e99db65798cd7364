"""Why a scout got a task: a code, the figures behind it, and one sentence a supervisor can read."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from tartip.core.clock import to_city_time
from tartip.ops.dispatch.model import Explanation, ExplanationCode, TravelMode
from tartip.ops.dispatch.problem import Problem

MODE_WORDS = {TravelMode.walk: "on foot", TravelMode.bike: "by e-bike", TravelMode.car: "by car"}
ORDINALS = {2: "2nd", 3: "3rd"}


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} min"


def _ordinal(n: int) -> str:
    return ORDINALS.get(n, f"{n}th")


def explain(
    problem: Problem, scout: int, task: int, *, prev: int | None, finish: float, late: bool
) -> Explanation:
    """The explanation of assigning ``task`` to ``scout`` after ``prev`` (None: from the start)."""
    inst = problem.inst
    s, t = problem.scouts[scout], problem.tasks[task]
    cands = inst.allowed[task]
    direct = {c: float(inst.matrix(c)[inst.n + c, task]) for c in cands}
    order = sorted(cands, key=lambda c: (direct[c], c))
    rank = order.index(scout) + 1
    row = task if prev is not None else inst.n + scout
    leg = float(inst.matrix(scout)[prev if prev is not None else row, task])
    estimated = bool(problem.estimated[s.mode][prev if prev is not None else row, task])
    how = MODE_WORDS[s.mode]
    zone = t.zone_id or "none"
    if t.pinned_scout_id is not None:
        code = ExplanationCode.pinned
        text = "Pinned to this scout by a supervisor"
    elif task in problem.outside_zone:
        code = ExplanationCode.outside_zone
        nearest = "the nearest" if rank == 1 else f"the {_ordinal(rank)} nearest"
        text = (
            f"No scout on shift in duty zone {zone}: {nearest} scout on shift elsewhere "
            f"({_minutes(direct[scout])} {how})"
        )
    elif rank == 1:
        code = ExplanationCode.nearest_in_zone
        text = (
            f"Nearest of {len(cands)} scout{'s' if len(cands) > 1 else ''} on shift in duty zone "
            f"{zone} ({_minutes(direct[scout])} {how})"
        )
    else:
        code = ExplanationCode.on_route_in_zone
        text = (
            f"On shift in duty zone {zone}, {_ordinal(rank)} nearest of {len(cands)} "
            f"({_minutes(direct[scout])} {how}); fits this scout's route"
        )
    text += _timing(problem, leg, how, prev is not None, finish, late, t.deadline)
    if estimated:
        text += " Travel time is a straight-line estimate (off the street network, or no route)."
    return Explanation(
        code=code,
        text=text,
        candidates=len(cands),
        rank=rank,
        direct_s=direct[scout],
        leg_s=leg,
        estimated=estimated,
    )


def _timing(
    problem: Problem,
    leg: float,
    how: str,
    after_task: bool,
    finish: float,
    late: bool,
    deadline: datetime | None,
) -> str:
    """The part about the leg, the ETA and the deadline."""
    tz = problem.timezone
    done = to_city_time(problem.now + timedelta(seconds=finish), tz)
    leg_text = f", {_minutes(leg)} {how} from the previous task" if after_task else ""
    if deadline is None:
        return f"{leg_text}; done by {done:%H:%M}, no deadline."
    due = to_city_time(deadline, tz)
    if late:
        over = (problem.now + timedelta(seconds=finish) - deadline).total_seconds()
        return (
            f"{leg_text}; done by {done:%H:%M}, {_minutes(over)} after the deadline {due:%H:%M}"
            " (no scout in the zone could fit it sooner)."
        )
    return f"{leg_text}; done by {done:%H:%M}, before the deadline {due:%H:%M}."


def route_explanations(
    problem: Problem, scout: int, route: list[int], finish: np.ndarray, late: np.ndarray
) -> list[Explanation]:
    """Explanations for every stop of a route."""
    out = []
    for i, task in enumerate(route):
        prev = route[i - 1] if i else None
        out.append(
            explain(problem, scout, task, prev=prev, finish=float(finish[i]), late=bool(late[i]))
        )
    return out
