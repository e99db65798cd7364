"""The scouts' month of work: finished tasks with their work logs and counts per company, and
the violations of the month (those the tasks cleared, and those that cleared otherwise).

The violations are written with the tasks because a share of the tasks was made from one, as
``ops.jobs`` makes them: the task then carries the violation's title, priority and due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tartip.cities.models import Company
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.demo_history.context import HISTORY_BY, History, insert_rows, pick, poisson
from tartip.demo_history.staff import Duty
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.jobs import WORK
from tartip.ops.models import Task, WorkLog, WorkLogCount
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone


@dataclass
class _Log:
    """A finished task and its proof of work."""

    scout_id: int
    zone: Zone | None
    lon: float
    lat: float
    finished_at: datetime
    counts: dict[int, int]  # company id → vehicles put in order
    kind: TaskKind
    origin: TaskOrigin
    violation: str | None = None  # the key of the violation it cleared, opened when and what
    opened_at: datetime | None = None
    violation_kind: ViolationKind | None = None


LOGS_PER_SHIFT = {"day": 10.0, "evening": 12.5, "night": 5.0, "event": 9.0, "tech": 0.0}
KINDS = (TaskKind.tidy_cluster, TaskKind.move_to_parking, TaskKind.patrol_zone,
         TaskKind.inspect_vehicle)  # fmt: skip
KIND_SHARES = (0.42, 0.3, 0.23, 0.05)
VEHICLES_PER_LOG = {TaskKind.tidy_cluster: 9, TaskKind.move_to_parking: 5,
                    TaskKind.patrol_zone: 8, TaskKind.inspect_vehicle: 1}  # fmt: skip
TITLES = {TaskKind.tidy_cluster: "Tidy a cluster", TaskKind.move_to_parking: "Move to parking",
          TaskKind.patrol_zone: "Patrol the duty zone",
          TaskKind.inspect_vehicle: "Inspect a vehicle"}  # fmt: skip
LINKED_SHARE = 0.035  # of tidy and move tasks: made from a violation the detector opened


def write_work(h: History, duties: list[Duty]) -> int:
    """The scouts' finished tasks with their work logs, and the violations behind some."""
    zones = {z.id: z for z in h.zones[ZoneKind.duty]}
    logs = [log for d in duties if d.checked_in_at is not None for log in _logs_of(h, d, zones)]
    _count_all(h, logs)
    seen: set[tuple[int, datetime]] = set()
    for item in logs:  # (scout, finished) is the key the rows are matched back by
        while (item.scout_id, item.finished_at) in seen:
            item.finished_at += timedelta(seconds=1)
        seen.add((item.scout_id, item.finished_at))
    violations = _violations(h, logs)
    ids = insert_rows(h.db, Violation, violations, key=("key",))
    task_rows = [_task_row(h, item, ids) for item in logs]
    task_ids = insert_rows(h.db, Task, task_rows, key=("scout_id", "closed_at"))
    log_rows: list[dict[str, Any]] = []
    for item in logs:
        task_id = task_ids[(item.scout_id, item.finished_at)]
        delay = h.rng.expovariate(1 / 20) if h.rng.random() > 0.05 else 3600 * h.rng.random()
        log_rows.append(
            {"city_id": h.city.id, "task_id": task_id, "scout_id": item.scout_id,
             "zone_id": item.zone.id if item.zone else None, "finished_at": item.finished_at,
             "recorded_at": item.finished_at + timedelta(seconds=delay),
             "total": sum(item.counts.values()), "notes": "", "suggested": {}}
        )  # fmt: skip
    log_ids = insert_rows(h.db, WorkLog, log_rows, key=("task_id",))
    count_rows = [
        {"city_id": h.city.id, "work_log_id": log_ids[(row["task_id"],)], "company_id": c,
         "count": n}
        for row, item in zip(log_rows, logs, strict=True)
        for c, n in item.counts.items()
    ]  # fmt: skip
    insert_rows(h.db, WorkLogCount, count_rows)
    return len(logs)


def _logs_of(h: History, d: Duty, zones: dict[int, Zone]) -> list[_Log]:
    """The tasks one worked shift finished, spread over the time on duty."""
    rng = h.rng
    assert d.checked_in_at is not None
    begin = d.checked_in_at + timedelta(minutes=10)
    end = min(d.checked_out_at or d.ends_at, d.ends_at) - timedelta(minutes=5)
    weekend = d.starts_at.astimezone(h.tz).weekday() >= 5
    n = poisson(rng, LOGS_PER_SHIFT[d.slot] * (1.2 if weekend else 1.0))
    if end <= begin or n == 0:
        return []
    span = (end - begin).total_seconds()
    # After a match the crowd leaves all at once: the work piles up at the end.
    event = d.slot == "event"
    shares = [rng.betavariate(4, 1.3) if event else rng.random() for _ in range(n)]
    out = []
    for share in sorted(shares):
        finished = (begin + timedelta(seconds=share * span)).replace(microsecond=0)
        if finished >= h.now:
            break
        out.append(_log(h, d, zones, finished))
    return out


def _log(h: History, d: Duty, zones: dict[int, Zone], finished: datetime) -> _Log:
    """One finished task of a shift, where and what (its counts come later, all at once)."""
    rng = h.rng
    event = d.slot == "event"
    kind = KINDS[pick(rng, KIND_SHARES)]
    if event and kind is not TaskKind.move_to_parking:
        kind = TaskKind.tidy_cluster
    own = [zones[z] for z in d.zone_ids if z in zones]
    zone = rng.choice(own) if own else None
    if zone is not None and rng.random() < 0.88:
        lon, lat = h.point(zone)
    elif zone is not None:
        (lon, lat), zone = h.near(zone, 700), None  # on the way: outside any duty zone
    else:
        lon, lat = h.spot()
    origin = TaskOrigin.event if event else TaskOrigin.manual
    return _Log(d.user_id, zone, lon, lat, finished, {}, kind, origin)


def _count_all(h: History, logs: list[_Log]) -> None:
    """Vehicles each task put in order per company: one to three companies (the bigger fleets
    likelier, drawn as the first of a weighted shuffle), more after a match."""
    draw, n, width = h.arrays, len(logs), len(h.companies)
    weights = np.array(h.weights)
    inspect = np.array([item.kind is TaskKind.inspect_vehicle for item in logs])
    many = np.minimum(np.where(inspect, 1, 1 + draw.choice(3, size=n, p=[0.45, 0.35, 0.2])), width)
    keys = np.log(weights) - np.log(-np.log(1 - draw.random((n, width))))
    chosen = np.argsort(np.argsort(-keys, axis=1), axis=1) < many[:, None]
    mean = np.array(
        [VEHICLES_PER_LOG[i.kind] * (1.6 if i.origin is TaskOrigin.event else 1.0) for i in logs]
    )
    totals = np.maximum(many, 1 + draw.poisson(mean - 1))
    shares = chosen * weights
    counts = draw.multinomial(totals - many, shares / shares.sum(axis=1, keepdims=True)) + chosen
    ids = [c.id for c in h.companies]
    for item, row in zip(logs, counts.tolist(), strict=True):
        item.counts = {ids[j]: int(v) for j, v in enumerate(row) if v}


def _task_row(h: History, item: _Log, ids: dict[tuple[Any, ...], int]) -> dict[str, Any]:
    rng = h.rng
    started = item.finished_at - timedelta(minutes=rng.uniform(4, 25))
    assigned = started - timedelta(minutes=rng.uniform(5, 60))
    created = assigned - timedelta(minutes=rng.uniform(0, 10))
    title, priority, deadline, origin = TITLES[item.kind], 3, None, item.origin
    violation_id = ids.get((item.violation,)) if item.violation else None
    if violation_id is not None and item.violation_kind and item.opened_at:
        # As ``ops.jobs`` makes it: when the violation opened, due by the kind's rule.
        rule = WORK[item.violation_kind]
        title, priority, origin = rule.title, rule.priority, TaskOrigin.violation
        created, deadline = item.opened_at, item.opened_at + rule.within
        assigned = created + timedelta(minutes=rng.uniform(0.5, 5))
    if item.zone is not None:
        title = f"{title}: {item.zone.name}"
    return {
        "city_id": h.city.id, "kind": item.kind.value, "origin": origin.value,
        "state": TaskState.done.value, "title": title, "notes": "", "priority": priority,
        "lon": item.lon, "lat": item.lat, "zone_id": item.zone.id if item.zone else None,
        "deadline": deadline, "violation_id": violation_id, "source_ref": None,
        "company_ids": sorted(item.counts), "vehicles": [], "scout_id": item.scout_id,
        "pinned": False, "route_seq": None, "eta": None, "explanation": "",
        "outcome_reason": "", "created_by": HISTORY_BY, "created_at": created,
        "updated_at": item.finished_at, "assigned_at": assigned,
        "accepted_at": assigned + timedelta(minutes=rng.uniform(0.5, 4)),
        "started_at": started, "closed_at": item.finished_at,
    }  # fmt: skip


def _violation_row(
    h: History, kind: ViolationKind, key: str, opened: datetime, cleared: datetime, *,
    zone: Zone | None, company: Company | None, by_company: dict[str, int], lon: float,
    lat: float, threshold: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    count = sum(by_company.values()) or 1
    evidence: dict[str, Any] = {"by_company": by_company, "vehicles_total": count}
    if zone is not None:
        evidence["zone_name"] = zone.name
    return {
        "city_id": h.city.id, "kind": kind.value, "key": key, "open_key": None,
        "zone_id": zone.id if zone else None, "company_id": company.id if company else None,
        "count": count, "max_count": count + h.rng.randrange(0, 3), "threshold": threshold,
        "lon": lon, "lat": lat, "vehicles": [], "evidence": evidence, "fingerprint": "",
        "first_seen_at": opened - timedelta(minutes=h.rng.uniform(5, 40)),
        "opened_at": opened, "last_seen_at": cleared - timedelta(seconds=30),
        "cleared_at": cleared, "closed_at": cleared,
    }  # fmt: skip


def _violations(h: History, logs: list[_Log]) -> list[dict[str, Any]]:
    """Violations of the month: those the scouts' tasks cleared, and others that cleared as
    riders took the vehicles or the companies acted."""
    rng = h.rng
    slugs = {c.id: c.slug for c in h.companies}
    by_id = {c.id: c for c in h.companies}
    rows = []
    for n, item in enumerate(logs):
        movable = item.kind in (TaskKind.tidy_cluster, TaskKind.move_to_parking)
        if not movable or item.zone is None or item.origin is not TaskOrigin.manual:
            continue
        if rng.random() >= LINKED_SHARE:
            continue
        kind = ViolationKind.clutter if item.kind is TaskKind.tidy_cluster else (
            ViolationKind.outside_parking
        )  # fmt: skip
        single = len(item.counts) == 1
        company = by_id[next(iter(item.counts))] if single else None
        item.violation = f"{kind.value}:{item.zone.id}:{company.slug if company else 'mixed'}:{n}"
        opened = item.finished_at - timedelta(minutes=rng.uniform(40, 110))
        item.opened_at, item.violation_kind = opened, kind
        cleared = item.finished_at + timedelta(minutes=rng.uniform(1, 6))
        rows.append(
            _violation_row(
                h, kind, item.violation, opened, min(cleared, h.now), zone=item.zone,
                company=company, lon=item.lon, lat=item.lat,
                by_company={slugs[c]: v for c, v in item.counts.items()},
            )
        )  # fmt: skip
    rows += _other_violations(h)
    return rows


OTHER_VIOLATIONS = (
    (ViolationKind.no_parking, ZoneKind.no_parking, 40, 25.0),
    (ViolationKind.over_capacity, ZoneKind.parking, 30, 50.0),
    (ViolationKind.no_ride, ZoneKind.no_ride, 12, 10.0),
    (ViolationKind.parked_too_long, None, 25, 60 * 24.0),
    (ViolationKind.disabled_too_long, None, 20, 60 * 30.0),
    (ViolationKind.duty_overload, ZoneKind.duty, 15, 90.0),
)  # (kind, where, how many, typical minutes open)


def _other_violations(h: History) -> list[dict[str, Any]]:
    rng = h.rng
    rows = []
    for kind, zone_kind, many, minutes in OTHER_VIOLATIONS:
        places = h.zones.get(zone_kind, []) if zone_kind is not None else []
        for n in range(poisson(rng, many)):
            zone = places[rng.randrange(len(places))] if places else None
            lon, lat = h.point(zone) if zone is not None else h.spot()
            company = None if kind is ViolationKind.duty_overload else h.company()
            if kind is ViolationKind.over_capacity and rng.random() < 0.5:
                company = None
            opened = h.moment()
            lasted = timedelta(minutes=rng.lognormvariate(0, 0.6) * minutes)
            cleared = min(opened + lasted, h.now)
            by_company = {company.slug: rng.randrange(1, 6)} if company else {
                c.slug: rng.randrange(2, 9) for c in h.companies
            }  # fmt: skip
            rows.append(
                _violation_row(
                    h, kind, f"{kind.value}:{zone.id if zone else 'city'}:history:{n}", opened,
                    cleared, zone=zone, company=company, by_company=by_company, lon=lon,
                    lat=lat, threshold=(zone.capacity or zone.target_load) if zone else None,
                )
            )  # fmt: skip
    return rows
