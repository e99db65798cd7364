"""The planner: score, priorities and deadlines, zones, pins, explanations, re-planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tartip.ops.dispatch.improve import improve_clusters
from tartip.ops.dispatch.model import (
    ExplanationCode,
    PlanOptions,
    Priority,
    Scout,
    Task,
    TravelMode,
    UnservedReason,
)
from tartip.ops.dispatch.network_times import NetworkTravelTimes
from tartip.ops.dispatch.planner import Planner
from tartip.ops.dispatch.problem import build
from tartip.ops.dispatch.routes import (
    Instance,
    evaluate,
    greedy,
    insertion,
    removal,
    score_value,
    total_score,
)
from tartip.ops.dispatch.travel import StraightLineTimes, TimeCache

NOW = datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
FAST = PlanOptions(improve_time_s=0.3)


def scout(sid: str, pos, zones=("Z1",), hours: float = 8.0, mode=TravelMode.walk, route=()):
    return Scout(
        id=sid,
        position=pos,
        mode=mode,
        zone_ids=frozenset(zones),
        shift_end=NOW + timedelta(hours=hours),
        current_route=tuple(route),
    )


def task(tid: str, pos, *, zone="Z1", priority=Priority.normal, due_min=None, pin=None, work=5):
    return Task(
        id=tid,
        position=pos,
        priority=priority,
        deadline=None if due_min is None else NOW + timedelta(minutes=due_min),
        service_min=work,
        zone_id=zone,
        pinned_scout_id=pin,
    )


def random_tasks(point, rng, n: int, zones=("Z1",), prefix="t") -> list[Task]:
    out = []
    for k in range(n):
        xy = rng.uniform(0, 10, 2)
        prio = Priority(rng.choice(list(Priority)))
        due = float(rng.uniform(30, 300)) if rng.random() < 0.3 else None
        out.append(
            task(f"{prefix}{k}", point(*xy), zone=zones[k % len(zones)], priority=prio, due_min=due)
        )
    return out


def tiny_instance() -> Instance:
    """One scout (row 3 is their start), three tasks, times in seconds."""
    t = np.array(
        [
            [0.0, 100.0, 200.0],
            [100.0, 0.0, 100.0],
            [200.0, 100.0, 0.0],
            [50.0, 150.0, 250.0],
        ]
    )
    return Instance(
        weight=np.array([2.0, 8.0, 1.0]),
        due=np.array([np.inf, 300.0, np.inf]),
        service=np.array([60.0, 60.0, 60.0]),
        rank=np.array([1, 3, 0]),
        allowed=[[0], [0], [0]],
        start=np.array([0.0]),
        avail=np.array([3600.0]),
        modes=[TravelMode.walk],
        times={TravelMode.walk: t},
        unserved_penalty=7200.0,
        late_penalty=1800.0,
    )


def test_score_is_travel_plus_weighted_penalties() -> None:
    inst = tiny_instance()
    # start → 0 (50 s) → 1 (100 s): task 1 finishes at 50+60+100+60 = 270 ≤ 300, on time.
    travel, late, unserved, served = total_score(inst, [[0, 1]])
    assert (travel, late, served) == (150.0, 0.0, {0, 1})
    assert unserved == 7200.0 * 1.0  # task 2, low priority
    # start → 2 → 0 → 1: task 1 finishes at 250+60+200+60+100+60 = 730 > 300, late (urgent: ×8).
    assert score_value(inst, [[2, 0, 1]]) == 250 + 200 + 100 + 1800.0 * 8


def test_insertion_and_removal_prices_match_a_full_evaluation() -> None:
    rng = np.random.default_rng(1)
    n = 12
    pts = rng.uniform(0, 1000, size=(n + 1, 2))
    times = np.hypot(*(pts[:, None, :] - pts[None, :n, :]).transpose(2, 0, 1))
    inst = tiny_instance()
    inst.weight = rng.choice([1.0, 2.0, 4.0, 8.0], n)
    inst.due = np.where(rng.random(n) < 0.5, rng.uniform(200, 3000, n), np.inf)
    inst.service = rng.uniform(60, 300, n)
    inst.rank = np.zeros(n, dtype=np.int64)
    inst.allowed = [[0]] * n
    inst.times = {TravelMode.walk: times}
    route = [int(k) for k in rng.permutation(n - 1)]
    before = evaluate(inst, 0, route)
    cost, _ = insertion(inst, 0, route, before, n - 1)
    for k in range(len(route) + 1):
        after = evaluate(inst, 0, route[:k] + [n - 1] + route[k:])
        assert cost[k] == pytest.approx(after.cost - before.cost)
    gains = removal(inst, 0, route, before)
    for k in range(len(route)):
        after = evaluate(inst, 0, route[:k] + route[k + 1 :])
        assert gains[k] == pytest.approx(after.cost - before.cost)


def test_an_urgent_task_with_a_deadline_is_done_first(point) -> None:
    scouts = [scout("a", point(0, 0))]
    tasks = [task(f"n{k}", point(-2 - k * 0.2, 0)) for k in range(5)]
    tasks.append(task("urgent", point(6, 0), priority=Priority.urgent, due_min=25))
    plan = Planner(StraightLineTimes(), FAST).plan(scouts, tasks, now=NOW)
    stops = plan.routes[0].stops
    assert stops[0].task_id == "urgent"
    assert not stops[0].late
    assert "before the deadline" in stops[0].explanation.text


def test_priority_decides_what_is_left_when_the_shift_ends(point) -> None:
    scouts = [scout("a", point(0, 0), hours=0.2)]  # 12 minutes left
    tasks = [
        task("low", point(1, 0), priority=Priority.low, work=8),
        task("urgent", point(-1, 0), priority=Priority.urgent, work=8),
    ]
    plan = Planner(StraightLineTimes(), FAST).plan(scouts, tasks, now=NOW)
    assert plan.routes[0].task_ids == ("urgent",)
    assert [(u.task_id, u.reason) for u in plan.unserved] == [
        ("low", UnservedReason.no_time_before_shift_end)
    ]


def test_duty_zones_decide_who_serves(point) -> None:
    scouts = [scout("z1", point(0, 0), zones=("Z1",)), scout("z2", point(9, 0), zones=("Z2",))]
    tasks = [
        task("near-z1-scout", point(1, 0), zone="Z2"),
        task("uncovered", point(0, -1), zone="Z9"),
    ]
    plan = Planner(StraightLineTimes(), FAST).plan(scouts, tasks, now=NOW)
    assignment = plan.assignment()
    assert assignment["near-z1-scout"] == "z2"
    assert assignment["uncovered"] == "z1"
    notes = {s.task_id: s.explanation for r in plan.routes for s in r.stops}
    assert notes["near-z1-scout"].code is ExplanationCode.nearest_in_zone
    assert "duty zone Z2" in notes["near-z1-scout"].text
    assert notes["uncovered"].code is ExplanationCode.outside_zone
    strict = Planner(StraightLineTimes(), PlanOptions(cover_uncovered_zones=False))
    plan = strict.plan(scouts, tasks, now=NOW)
    assert [(u.task_id, u.reason) for u in plan.unserved] == [
        ("uncovered", UnservedReason.no_scout_in_zone)
    ]


def test_a_supervisors_pin_is_kept(point) -> None:
    scouts = [scout("near", point(0, 0)), scout("far", point(9, 9))]
    tasks = [
        task("pinned", point(0.5, 0), pin="far"),
        task("pinned-off-shift", point(0.5, 0.5), pin="gone"),
    ]
    planner = Planner(StraightLineTimes(), FAST)
    plan = planner.plan(scouts, tasks, now=NOW)
    assert plan.assignment() == {"pinned": "far"}
    stop = plan.route_of("far").stops[0]
    assert stop.explanation.code is ExplanationCode.pinned
    assert stop.explanation.text.startswith("Pinned to this scout by a supervisor")
    assert plan.unserved[0].reason is UnservedReason.pinned_scout_off_shift
    # A re-plan keeps the pin, and follows a new one.
    replanned = planner.replan(
        [scout("near", point(0, 0)), scout("far", point(9, 9), route=("pinned",))],
        [task("pinned", point(0.5, 0), pin="far"), task("new", point(0.6, 0), pin="far")],
        now=NOW,
    )
    assert set(replanned.route_of("far").task_ids) == {"pinned", "new"}


def test_every_stop_is_explained_and_timed(point) -> None:
    rng = np.random.default_rng(2)
    scouts = [scout(f"s{i}", point(*rng.uniform(0, 10, 2))) for i in range(3)]
    plan = Planner(StraightLineTimes(), FAST).plan(scouts, random_tasks(point, rng, 30), now=NOW)
    assert plan.score.served == 30
    for route in plan.routes:
        finish = NOW
        for stop in route.stops:
            assert stop.explanation.text and "min" in stop.explanation.text
            assert stop.explanation.rank >= 1 and stop.explanation.candidates == 3
            assert stop.arrival >= finish and stop.finish > stop.arrival
            finish = stop.finish
    # Straight-line times are estimates, and the explanation says so.
    assert plan.stats.estimated_pairs == 30
    assert "straight-line estimate" in plan.routes[0].stops[0].explanation.text


def test_replan_inserts_new_tasks_and_moves_few(point) -> None:
    rng = np.random.default_rng(3)
    zones = ("Z1", "Z2")
    scouts = [
        scout(f"s{i}", point(*rng.uniform(0, 10, 2)), zones=(zones[i % 2],)) for i in range(6)
    ]
    tasks = random_tasks(point, rng, 120, zones)
    planner = Planner(StraightLineTimes(), FAST)
    plan = planner.plan(scouts, tasks, now=NOW)
    current = {r.scout_id: r.task_ids for r in plan.routes}
    finished = {r.task_ids[0] for r in plan.routes if r.task_ids}
    open_tasks = [t for t in tasks if t.id not in finished]
    new = random_tasks(point, rng, 5, zones, prefix="new")
    moved_on = [
        scout(
            s.id,
            s.position,
            zones=tuple(s.zone_ids),
            route=tuple(t for t in current[s.id] if t not in finished),
        )
        for s in scouts
    ]
    replan = planner.replan(moved_on, open_tasks + new, now=NOW)
    assignment = replan.assignment()
    assert all(t.id in assignment for t in new)
    assert not finished & set(assignment)
    before = plan.assignment()
    moved = sum(1 for t, s in assignment.items() if before.get(t, s) != s)
    assert replan.stats.previously_planned == len(open_tasks)
    assert moved == replan.stats.moved <= 0.05 * len(open_tasks)


def test_a_new_task_costs_one_search(point, grid_network) -> None:
    source = NetworkTravelTimes(grid_network)
    walkers = [scout("a", point(0, 0)), scout("b", point(4, 4))]
    tasks = [task(f"t{k}", point(k % 5, k // 5)) for k in range(20)]
    planner = Planner(source, FAST)
    plan = planner.plan(walkers, tasks, now=NOW)
    current = {r.scout_id: r.task_ids for r in plan.routes}
    again = [scout(s.id, s.position, route=current[s.id]) for s in walkers]
    before = source.searches
    planner.replan(again, [*tasks, task("new", point(2.5, 3.5))], now=NOW)
    assert source.searches - before == 1  # walking: one search serves both directions
    bikers = [scout(s.id, s.position, mode=TravelMode.bike, route=current[s.id]) for s in walkers]
    planner.plan(bikers, tasks, now=NOW)
    before = source.searches
    planner.replan(bikers, [*tasks, task("new2", point(1.5, 0.5))], now=NOW)
    assert source.searches - before == 2  # one-way streets: one search from it, one to it


def test_zone_improvement_keeps_every_served_task_and_never_worsens(point) -> None:
    rng = np.random.default_rng(4)
    zones = ("Z1", "Z2")
    scouts = [
        scout(f"s{i}", point(*rng.uniform(0, 10, 2)), zones=(zones[i % 2],), hours=3)
        for i in range(4)
    ]
    tasks = random_tasks(point, rng, 80, zones)
    cache = TimeCache(StraightLineTimes())
    inst = build(scouts, tasks, now=NOW, cache=cache, options=FAST).inst
    seed = greedy(inst)
    better = improve_clusters(inst, seed, budget_s=0.5)
    assert {t for r in seed for t in r} <= {t for r in better for t in r}
    assert score_value(inst, better) <= score_value(inst, seed)


def test_the_time_cache_forgets_finished_tasks(point) -> None:
    cache = TimeCache(StraightLineTimes())
    for k in range(100):
        cache.add(f"task:{k}", point(k % 10, k // 10))
    cache.block(TravelMode.walk, range(100), range(100))
    before = cache.matrix(TravelMode.walk)[0][3, 7]
    cache.retain({f"task:{k}" for k in range(10)})
    assert len(cache.index) == 10
    assert cache.matrix(TravelMode.walk)[0][3, 7] == before
    cache.retain({f"task:{k}" for k in range(10)})
    assert len(cache.index) == 10


def test_the_vroom_baseline_keeps_the_seed_served(point) -> None:
    pytest.importorskip("vroom", reason="the VROOM baseline is in the bench extra")
    from tartip.ops.dispatch import vroom_solver

    rng = np.random.default_rng(6)
    scouts = [scout(f"s{i}", point(*rng.uniform(0, 10, 2)), zones=("Z1",)) for i in range(2)]
    tasks = random_tasks(point, rng, 20)
    inst = build(scouts, tasks, now=NOW, cache=TimeCache(StraightLineTimes()), options=FAST).inst
    seed = greedy(inst)
    routes = vroom_solver.solve(inst, seed, time_limit_s=1.0, threads=1)
    assert sorted(t for r in routes for t in r) == list(range(20))
