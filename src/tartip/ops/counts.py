"""Scooters put in order, counted from the work logs per period (in city time) and group.

Periods are the city's days and months, not UTC's: a task finished at 23:30 in Almaty on 30 June
(18:30 UTC) counts for June. The boundaries of each local period are turned into UTC instants
here, and the database buckets rows with one ``CASE`` over them, so both SQLite and PostgreSQL
count the same way without date functions of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.errors import InvalidInput, Problem
from tartip.ops import service as tasks_service
from tartip.ops import staff
from tartip.ops.models import WorkLog, WorkLogCount

Period = Literal["day", "month"]
Group = Literal["company", "zone", "scout"]
MAX_BUCKETS = {"day": 400, "month": 120}


@dataclass(frozen=True)
class Row:
    """Vehicles put in order in one period for one group."""

    period: str
    key: str
    label: str
    count: int


def next_period(start: date, period: Period) -> date:
    """The first day of the period after the one starting on ``start``."""
    if period == "day":
        return start + timedelta(days=1)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def buckets(
    since: date, until: date, period: Period, timezone: str
) -> list[tuple[str, datetime, datetime]]:
    """Each local period in [since, until): its label and its start and end as UTC instants."""
    if until <= since:
        raise InvalidInput("the period ends before it starts", problems=[Problem("until", "")])
    tz = ZoneInfo(timezone)
    start = since if period == "day" else since.replace(day=1)
    out = []
    while start < until:
        end = next_period(start, period)
        label = start.isoformat() if period == "day" else start.strftime("%Y-%m")
        out.append((label, _instant(start, tz), _instant(end, tz)))
        if len(out) > MAX_BUCKETS[period]:
            raise InvalidInput(f"too many {period}s asked for", problems=[Problem("since", "")])
        start = end
    return out


def _instant(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [WorkLog.city_id == scope.city_id]
    if tasks_service.is_field(scope):
        clauses.append(WorkLog.scout_id == (scope.user_id or 0))
    if scope.company_id is not None:
        clauses.append(WorkLogCount.company_id == scope.company_id)
    return clauses


def _group_column(group: Group) -> Any:
    return {
        "company": WorkLogCount.company_id,
        "zone": WorkLog.zone_id,
        "scout": WorkLog.scout_id,
    }[group]


def _labels(
    db: Session, *, scope: Scope, group: Group, keys: list[Any]
) -> dict[Any, tuple[str, str]]:
    """Key and label of each group value; people are shown by display name only."""
    ids = [k for k in keys if k is not None]
    if group == "company":
        companies = cities_service.list_companies(db, city_id=scope.city_id)
        return {c.id: (c.slug, c.name) for c in companies if c.id in ids}
    if group == "zone":
        names = staff.zone_names(db, city_id=scope.city_id, zone_ids=ids)
        return {z: (str(z), names.get(z, f"#{z}")) for z in ids}
    names = staff.display_names(db, ids)
    staff_sees_ids = scope.is_operator_staff
    return {u: (str(u) if staff_sees_ids else names.get(u, "?"), names.get(u, "?")) for u in ids}


def counts(
    db: Session,
    *,
    scope: Scope,
    since: date,
    until: date,
    period: Period,
    group: Group,
    timezone: str,
) -> list[Row]:
    """Vehicles put in order per local period and group, in the caller's scope."""
    spans = buckets(since, until, period, timezone)
    bucket = case(*[(WorkLog.finished_at < end, label) for label, _s, end in spans], else_=None)
    inner = (
        select(
            bucket.label("period"),
            _group_column(group).label("g"),
            WorkLogCount.count.label("n"),
        )
        .join(WorkLog, WorkLog.id == WorkLogCount.work_log_id)
        .where(
            *_scope_clauses(scope),
            WorkLog.finished_at >= spans[0][1],
            WorkLog.finished_at < spans[-1][2],
        )
        .subquery()
    )
    # Grouped on the subquery's columns: PostgreSQL would not match two copies of the CASE.
    stmt = (
        select(inner.c.period, inner.c.g, func.sum(inner.c.n))
        .group_by(inner.c.period, inner.c.g)
        .order_by(inner.c.period, inner.c.g)
    )
    found = [(p, g, int(n or 0)) for p, g, n in db.execute(stmt)]
    labels = _labels(db, scope=scope, group=group, keys=[g for _p, g, _n in found])
    rows = []
    for p, g, n in found:
        key, label = labels.get(g, ("none", "—"))
        rows.append(Row(period=str(p), key=key, label=label, count=n))
    return rows


@dataclass(frozen=True)
class Day:
    """One local day's work: totals per company, zone and scout."""

    day: date
    total: int
    tasks_done: int
    by_company: list[Row]
    by_zone: list[Row]
    by_scout: list[Row]


def day_view(db: Session, *, scope: Scope, day: date, timezone: str) -> Day:
    """What was put in order on one day in city time."""
    nxt = day + timedelta(days=1)
    by: dict[str, list[Row]] = {}
    groups: tuple[Group, ...] = ("company", "zone", "scout")
    for group in groups:
        rows = counts(
            db, scope=scope, since=day, until=nxt, period="day", group=group, timezone=timezone
        )
        by[group] = sorted(rows, key=lambda r: -r.count)
    tz = ZoneInfo(timezone)
    logs = (
        select(func.count(func.distinct(WorkLog.id)))
        .select_from(WorkLog)
        .join(
            WorkLogCount, WorkLogCount.work_log_id == WorkLog.id, isouter=scope.company_id is None
        )
        .where(
            *_scope_clauses(scope),
            WorkLog.finished_at >= _instant(day, tz),
            WorkLog.finished_at < _instant(nxt, tz),
        )
    )
    done = int(db.scalar(logs) or 0)
    total = sum(r.count for r in by["company"])
    return Day(day, total, done, by["company"], by["zone"], by["scout"])
