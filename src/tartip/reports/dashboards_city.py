"""The city view's trends over weeks and months (the maps are in ``dashboards_maps.py``).

Each series counts the same records, by the same rule, as the domain's own figures, so the city
view agrees with the report and with each domain's pages:

- *put in order*: work-log counts by the local day the work finished (``ops.counts``);
- *violations*: violations opened in the bucket (``reports.reading.parking_violations`` counts
  the parking kinds of these);
- *complaints*: complaints received in the bucket (``complaints.figures``);
- *handovers*: damaged vehicles handed over in the bucket (``damage.figures``);
- *trips*: trips of the bucket's local days from the daily rollup (``trips.statistics``).

Weeks run Monday to Sunday and months are calendar months, both in the city's time zone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints import access as complaints_access
from tartip.complaints.models import Complaint
from tartip.compliance.models import Violation
from tartip.core.errors import InvalidInput, Problem
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import Handover
from tartip.ops.models import WorkLog, WorkLogCount
from tartip.reports.period import Month, local_midnight
from tartip.trips.statistics_models import TripRollup

# The city view is for the operator's supervisors and the city's own people.
CITY_ROLES = (Role.supervisor, Role.city_viewer)
MAX_BUCKETS = 104  # two years of weeks
DEFAULT_BUCKETS = {"week": 12, "month": 12}


class Step(StrEnum):
    """The length of one bucket of a trend."""

    week = "week"
    month = "month"


class Series(StrEnum):
    """The trends the city view draws, in the order shown."""

    put_in_order = "put_in_order"
    violations = "violations"
    complaints = "complaints"
    handovers = "handovers"
    trips = "trips"


@dataclass(frozen=True)
class Bucket:
    """One week or month: its label, first local day, and UTC instants ``[start, end)``."""

    label: str
    first: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Trends:
    """Counts per bucket for every series (the last bucket may still be running)."""

    step: Step
    buckets: tuple[Bucket, ...]
    series: dict[Series, tuple[int, ...]]


def require_city_view(scope: Scope) -> None:
    """The city view is for supervisors, the city's viewers and admins (no company sees it)."""
    scope.require(*CITY_ROLES)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _next(first: date, step: Step) -> date:
    if step is Step.week:
        return first + timedelta(days=7)
    return Month(first.year, first.month).next().first_day


def buckets(*, step: Step, count: int, today: date, timezone: str) -> tuple[Bucket, ...]:
    """The ``count`` weeks or months up to and including the one of ``today``."""
    if not 1 <= count <= MAX_BUCKETS:
        raise InvalidInput(
            f"{count} {step.value}s asked for: ask for 1 to {MAX_BUCKETS}",
            problems=[Problem("query.count", f"1..{MAX_BUCKETS}")],
        )
    first = _monday(today) if step is Step.week else today.replace(day=1)
    firsts = [first]
    for _ in range(count - 1):
        if step is Step.week:
            first = first - timedelta(days=7)
        else:
            first = Month(first.year, first.month).previous().first_day
        firsts.append(first)
    out = []
    for day in reversed(firsts):
        label = day.isoformat() if step is Step.week else day.strftime("%Y-%m")
        end = _next(day, step)
        out.append(Bucket(label, day, local_midnight(day, timezone), local_midnight(end, timezone)))
    return tuple(out)


def _bucketed(
    db: Session,
    spans: Sequence[Bucket],
    *,
    at: Any,
    value: Any,
    where: Sequence[ColumnElement[bool]],
    join: tuple[Any, Any, Any] | None = None,
) -> tuple[int, ...]:
    """Sum ``value`` per bucket of ``at``, with one ``CASE`` over the buckets' UTC bounds."""
    bucket = case(*[(at < b.end, i) for i, b in enumerate(spans)], else_=None)
    amount = literal(value) if isinstance(value, int) else value
    inner = select(bucket.label("b"), amount.label("n"))
    if join is not None:
        inner = inner.select_from(join[0]).join(join[1], join[2])
    sub = inner.where(*where, at >= spans[0].start, at < spans[-1].end).subquery()
    # Grouped on the subquery's column: PostgreSQL would not match two copies of the CASE.
    stmt = select(sub.c.b, func.sum(sub.c.n)).group_by(sub.c.b)
    counts = dict.fromkeys(range(len(spans)), 0)
    for index, n in db.execute(stmt):
        if index is not None:
            counts[int(index)] = int(n or 0)
    return tuple(counts[i] for i in range(len(spans)))


def _trips(db: Session, spans: Sequence[Bucket], *, city_id: int, step: Step) -> tuple[int, ...]:
    """Trips per bucket from the daily rollup (its rows are already local days)."""
    last = _next(spans[-1].first, step)
    stmt = (
        select(TripRollup.local_date, func.sum(TripRollup.trips))
        .where(
            TripRollup.city_id == city_id,
            TripRollup.local_date >= spans[0].first,
            TripRollup.local_date < last,
        )
        .group_by(TripRollup.local_date)
    )
    counts = [0] * len(spans)
    firsts = [b.first for b in spans]
    for day, n in db.execute(stmt):
        counts[bisect_right(firsts, day) - 1] += int(n or 0)
    return tuple(counts)


def trends(
    db: Session, *, scope: Scope, city: City, step: Step, count: int, now: datetime
) -> Trends:
    """Every series of the city view over the last ``count`` weeks or months."""
    require_city_view(scope)
    today = now.astimezone(ZoneInfo(city.timezone)).date()
    spans = buckets(step=step, count=count, today=today, timezone=city.timezone)
    series = {
        Series.put_in_order: _bucketed(
            db,
            spans,
            at=WorkLog.finished_at,
            value=WorkLogCount.count,
            where=[WorkLog.city_id == city.id],
            join=(WorkLogCount, WorkLog, WorkLog.id == WorkLogCount.work_log_id),
        ),
        Series.violations: _bucketed(
            db, spans, at=Violation.opened_at, value=1, where=[Violation.city_id == city.id]
        ),
        Series.complaints: _bucketed(
            db,
            spans,
            at=Complaint.received_at,
            value=1,
            where=complaints_access.scope_clauses(scope),
        ),
        Series.handovers: _bucketed(
            db,
            spans,
            at=Handover.handed_over_at,
            value=1,
            where=[Handover.city_id == city.id, Handover.status != HandoverStatus.cancelled],
        ),
        Series.trips: _trips(db, spans, city_id=city.id, step=step),
    }
    return Trends(step=step, buckets=spans, series=series)
