"""The field-work sections of the operator's report: scooters put in order, staff and shifts,
duty zones, and events staffed.

"Put in order" is counted as ``ops.counts`` counts it for the ops pages (the work logs and their
per-company counts, bucketed by the same local days), so the report and the ops figures never
disagree; the report reads them in one grouped pass rather than one per grouping. A shift counts
in the period it starts in; its hours worked run from check-in to check-out (or to the planned end
when nobody checked out). An event counts when its time overlaps the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.events.models import CityEvent
from tartip.ops import counts as ops_counts
from tartip.ops import staff
from tartip.ops.models import Shift, WorkLog, WorkLogCount
from tartip.reports import report_period
from tartip.reports.report_model import (
    Chart,
    ChartKind,
    Column,
    Figure,
    Records,
    ReportPeriod,
    Row,
    Section,
    Series,
    Table,
    Unit,
)
from tartip.zones.models import Zone


def days(period: ReportPeriod) -> tuple[str, ...]:
    """The period's local days as ``YYYY-MM-DD``."""
    return tuple((period.first + timedelta(days=i)).isoformat() for i in range(period.days))


def _day_bucket(period: ReportPeriod) -> Any:
    """The local day (``YYYY-MM-DD``) a work log was finished on: ``ops.counts``'s day buckets."""
    spans = ops_counts.buckets(
        period.first, period.last + timedelta(days=1), "day", period.timezone
    )
    return case(*[(WorkLog.finished_at < end, label) for label, _s, end in spans], else_=None)


def _totals(rows: list[ops_counts.Row]) -> list[tuple[str, str, int]]:
    """(key, label, sum) per group, largest first."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        sums[(r.key, r.label)] += r.count
    return sorted(((k, lb, n) for (k, lb), n in sums.items()), key=lambda t: (-t[2], t[1]))


def _named(sums: dict[int | None, int], names: dict[int, str]) -> list[tuple[str, str, int]]:
    """(key, name, sum) per id, largest first; rows without one are keyed ``none``."""
    rows = [
        ("none", "—", n) if k is None else (str(k), names.get(k, f"#{k}"), n)
        for k, n in sums.items()
    ]
    return sorted(rows, key=lambda t: (-t[2], t[1]))


def put_in_order(db: Session, *, scope: Scope, period: ReportPeriod) -> Section:
    """Scooters put in order: total, per day (by company), per month, company, zone and scout."""
    in_period = (
        WorkLog.city_id == scope.city_id,
        WorkLog.finished_at >= period.start,
        WorkLog.finished_at < period.end,
    )
    logs = db.scalar(select(func.count(WorkLog.id)).where(*in_period))
    # One pass over the period's work logs and their counts, grouped by (day, company, zone,
    # scout): the rows and day buckets ``ops.counts`` uses, read once instead of once per
    # grouping (the join of a month's ≈400,000 logs is the report's costliest read).
    inner = (
        select(
            _day_bucket(period).label("day"),
            WorkLogCount.company_id.label("company"),
            WorkLog.zone_id.label("zone"),
            WorkLog.scout_id.label("scout"),
            WorkLogCount.count.label("n"),
        )
        .join(WorkLogCount, WorkLogCount.work_log_id == WorkLog.id)
        .where(*in_period)
        .subquery()
    )
    grouped = db.execute(
        select(
            inner.c.day, inner.c.company, inner.c.zone, inner.c.scout, func.sum(inner.c.n)
        ).group_by(inner.c.day, inner.c.company, inner.c.zone, inner.c.scout)
    ).all()
    per_company: dict[tuple[str, int | None], int] = defaultdict(int)
    zones: dict[int | None, int] = defaultdict(int)
    scouts: dict[int | None, int] = defaultdict(int)
    for day, company_id, zone_id, scout_id, n in grouped:
        per_company[(str(day), company_id)] += int(n or 0)
        zones[zone_id] += int(n or 0)
        scouts[scout_id] += int(n or 0)
    # Labelled as ``ops.counts`` labels companies: (slug, name); none: ("none", "—").
    names: dict[int | None, tuple[str, str]] = {
        c.id: (c.slug, c.name) for c in cities_service.list_companies(db, city_id=scope.city_id)
    }
    by_company = [
        ops_counts.Row(day, *names.get(c, ("none", "—")), count=n)
        for (day, c), n in sorted(per_company.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    total = sum(r.count for r in by_company)
    zone_names = staff.zone_names(db, city_id=scope.city_id, zone_ids=[z for z in zones if z])
    scout_names = staff.display_names(db, [u for u in scouts if u])
    by_zone = _named(zones, zone_names)
    by_scout = _named(scouts, scout_names)
    x = days(period)
    companies = _totals(by_company)
    series = []
    for key, label, _n in companies:
        per_day = {r.period: r.count for r in by_company if r.key == key}
        series.append(Series(key, label, tuple(float(per_day.get(d, 0)) for d in x)))
    months: dict[str, int] = defaultdict(int)
    for r in by_company:
        months[r.period[:7]] += r.count

    def group_table(key: str, title: str, heading: str, rows: list[tuple[str, str, int]]) -> Table:
        return Table(
            key=f"put_in_order.by_{key}",
            title=title,
            columns=(Column(key, heading, Unit.text), Column("count", "Scooters", Unit.vehicles)),
            rows=tuple(
                Row((label, n), {"count": Records.of("put_in_order", period, **{key: k})})
                for k, label, n in rows
            ),
        )

    month_table = Table(
        key="put_in_order.by_month",
        title="Put in order by month",
        columns=(Column("month", "Month", Unit.text), Column("count", "Scooters", Unit.vehicles)),
        rows=tuple(
            Row((m, n), {"count": Records.of("put_in_order", period, month=m)})
            for m, n in sorted(months.items())
        ),
    )
    return Section(
        key="put_in_order",
        title="Scooters put in order",
        figures=(
            Figure(
                "put_in_order.total",
                "Scooters put in order",
                total,
                Unit.vehicles,
                note="Counted from the scouts' work logs, on the local day the work was finished",
                records=Records.of("put_in_order", period),
            ),
            Figure(
                "put_in_order.tasks",
                "Tasks finished with proof of work",
                int(logs or 0),
                Unit.number,
                records=Records.of("put_in_order", period, measure="rows"),
            ),
            Figure(
                "put_in_order.per_day",
                "Average per day",
                round(total / period.days, 1),
                Unit.vehicles,
                records=Records.of("put_in_order", period, measure="per_day"),
            ),
        ),
        tables=(
            month_table,
            group_table("company", "Put in order by company", "Company", companies),
            group_table("zone", "Put in order by zone", "Zone", by_zone),
            group_table("scout", "Put in order by scout", "Scout", by_scout),
        ),
        charts=(
            Chart(
                key="put_in_order.daily",
                title="Scooters put in order per day",
                unit=Unit.vehicles,
                kind=ChartKind.stacked,
                x=x,
                series=tuple(series),
                translate_series=False,
            ),
        ),
    )


@dataclass
class ShiftTally:
    """Shifts planned and worked, the hours worked and the people who held them."""

    planned: int = 0
    worked: int = 0
    hours: float = 0.0
    people: set[int] = field(default_factory=set)


def worked_hours(shift: Shift) -> float:
    """Hours from check-in to check-out (or the planned end); 0 when never checked in."""
    if shift.checked_in_at is None:
        return 0.0
    until = shift.checked_out_at or shift.ends_at
    return max(0.0, (until - shift.checked_in_at).total_seconds() / 3600)


def shifts_in(db: Session, *, city_id: int, period: ReportPeriod) -> list[Shift]:
    """The period's shifts (by their start), cancelled ones left out."""
    stmt = select(Shift).where(
        Shift.city_id == city_id,
        Shift.starts_at >= period.start,
        Shift.starts_at < period.end,
        Shift.cancelled_at.is_(None),
    )
    return list(db.scalars(stmt.order_by(Shift.starts_at, Shift.id)))


def events_in(db: Session, *, city_id: int, period: ReportPeriod) -> list[CityEvent]:
    """The events whose time overlaps the period, cancelled ones left out."""
    stmt = select(CityEvent).where(
        CityEvent.city_id == city_id,
        CityEvent.starts_at < period.end,
        CityEvent.ends_at > period.start,
        CityEvent.cancelled_at.is_(None),
    )
    return list(db.scalars(stmt.order_by(CityEvent.starts_at, CityEvent.id)))


def tally(shifts: list[Shift]) -> ShiftTally:
    """What ``shifts`` add up to (a shift is worked once someone checked in)."""
    t = ShiftTally()
    for s in shifts:
        t.planned += 1
        t.people.add(s.user_id)
        if s.checked_in_at is not None:
            t.worked += 1
            t.hours += worked_hours(s)
    return t


def staff_and_zones(db: Session, *, scope: Scope, period: ReportPeriod) -> list[Section]:
    """Staff and shifts worked; duty zones and how long someone was on duty in each; events."""
    shifts = shifts_in(db, city_id=scope.city_id, period=period)
    every = tally(shifts)
    staff_section = Section(
        key="staff",
        title="Staff and shifts",
        figures=(
            Figure("staff.people", "People on shift", len(every.people), Unit.people,
                   records=Records.of("people", period)),
            Figure("staff.shifts_planned", "Shifts planned", every.planned, Unit.shifts,
                   records=Records.of("shifts", period)),
            Figure("staff.shifts_worked", "Shifts worked (checked in)", every.worked,
                   Unit.shifts, records=Records.of("shifts", period, worked="yes")),
            Figure("staff.hours", "Hours worked", round(every.hours, 1), Unit.hours,
                   note="From check-in to check-out, or to the planned end of the shift",
                   records=Records.of("shifts", period, worked="yes", measure="sum")),
        ),
    )  # fmt: skip
    coverage = zone_coverage(db, scope=scope, period=period, shifts=shifts)
    covered = sum(1 for _zone, t in coverage if t.worked > 0)
    zone_rows = [
        Row(
            (zone.name, t.planned, t.worked, round(t.hours, 1)),
            {
                "planned": Records.of("shifts", period, zone=zone.id),
                "worked": Records.of("shifts", period, zone=zone.id, worked="yes"),
                "hours": Records.of("shifts", period, zone=zone.id, worked="yes", measure="sum"),
            },
        )
        for zone, t in coverage
    ]
    zone_section = Section(
        key="duty_zones",
        title="Duty zones and coverage",
        figures=(
            Figure("duty_zones.count", "Duty zones", len(coverage), Unit.zones,
                   note="Published duty zones when the report was made",
                   records=Records.of("duty_zones", period)),
            Figure("duty_zones.covered", "Duty zones with a shift worked", covered, Unit.zones,
                   records=Records.of("duty_zones", period, covered="yes")),
        ),
        tables=(
            Table(
                key="duty_zones.coverage",
                title="Coverage by duty zone",
                columns=(
                    Column("zone", "Zone", Unit.text),
                    Column("planned", "Shifts planned", Unit.shifts),
                    Column("worked", "Shifts worked", Unit.shifts),
                    Column("hours", "Hours on duty", Unit.hours),
                ),
                rows=tuple(zone_rows),
            ),
        ),
    )  # fmt: skip
    events = events_in(db, city_id=scope.city_id, period=period)
    by_event: dict[int, list[Shift]] = defaultdict(list)
    for s in event_shifts(db, [e.id for e in events]):
        if s.city_event_id is not None:
            by_event[s.city_event_id].append(s)
    event_rows = []
    staffed = 0
    for e in events:
        t = tally(by_event.get(e.id, []))
        staffed += t.planned > 0
        event_rows.append(
            Row(
                (e.name, report_period.local_time(e.starts_at, period.timezone), len(t.people),
                 t.worked, round(t.hours, 1)),
                {"people": Records.of("people", period, event=e.id),
                 "worked": Records.of("shifts", period, event=e.id, worked="yes"),
                 "hours": Records.of("shifts", period, event=e.id, worked="yes",
                                     measure="sum")},
            )
        )  # fmt: skip
    event_section = Section(
        key="events",
        title="Events staffed",
        figures=(
            Figure("events.count", "Events", len(events), Unit.events,
                   records=Records.of("events", period)),
            Figure("events.staffed", "Events staffed", staffed, Unit.events,
                   records=Records.of("events", period, staffed="yes")),
        ),
        tables=(
            Table(
                key="events.staffing",
                title="Staff at events",
                columns=(
                    Column("event", "Event", Unit.text),
                    Column("starts", "Starts", Unit.text),
                    Column("people", "People on shift", Unit.people),
                    Column("worked", "Shifts worked", Unit.shifts),
                    Column("hours", "Hours worked", Unit.hours),
                ),
                rows=tuple(event_rows),
            ),
        ),
    )  # fmt: skip
    return [staff_section, zone_section, event_section]


def zone_coverage(
    db: Session, *, scope: Scope, period: ReportPeriod, shifts: list[Shift] | None = None
) -> list[tuple[Zone, ShiftTally]]:
    """Each published duty zone and what the period's shifts covering it add up to."""
    if shifts is None:
        shifts = shifts_in(db, city_id=scope.city_id, period=period)
    return [
        (zone, tally([s for s in shifts if zone.id in (s.zone_ids or [])]))
        for zone in staff.duty_zones(db, scope=scope)
    ]


def event_shifts(db: Session, event_ids: list[int]) -> list[Shift]:
    """Every shift staffing these events, whenever it starts (an event may straddle the end)."""
    if not event_ids:
        return []
    stmt = select(Shift).where(Shift.city_event_id.in_(event_ids), Shift.cancelled_at.is_(None))
    return list(db.scalars(stmt))
