"""The records behind each figure of the operator's report: every number can be opened.

Each kind (``put_in_order``, ``complaints``, ``damage_cases``, ``handovers``, ``shifts``,
``people``, ``duty_zones``, ``events``, ``trips``, ``violations``) selects its rows with the same
conditions the figure counted with, so a list's ``total`` equals the figure. What the total is
comes from the ``measure`` the link names (``MEASURES``): by default the number of records or the
sum of their counts; ``rows`` the number of records listed (work logs rather than scooters);
``per_day`` that total over the period's days; ``sum``, ``median`` and ``p90`` of the records'
hours (worked, to resolve, to collect), by the rule the figure used. A list has a link to each
record's own page where there is one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import districts as cities_districts
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.complaints import access
from tartip.complaints import figures as complaint_figures
from tartip.complaints.enums import OPEN, ComplaintStatus
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, NotFound, Problem
from tartip.damage import figures as damage_figures
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import DamageCase, Handover
from tartip.ops import staff
from tartip.ops.models import Shift, WorkLog, WorkLogCount
from tartip.reports import (
    dashboards_maps,
    reading,
    report,
    report_impact,
    report_period,
    report_work,
)
from tartip.reports.report_model import (
    API_PREFIX,
    Cell,
    Column,
    Found,
    PeriodKind,
    ReportPeriod,
    Unit,
)
from tartip.trips.statistics_models import TripRollup

KINDS = (
    "put_in_order", "complaints", "damage_cases", "handovers", "shifts", "people", "duty_zones",
    "events", "trips", "violations", "incidents",
)  # fmt: skip
TITLES = {
    "put_in_order": "Work logs: scooters put in order",
    "complaints": "Complaints",
    "damage_cases": "Damaged vehicles found",
    "handovers": "Handovers to the companies",
    "shifts": "Shifts",
    "people": "People on shift",
    "duty_zones": "Duty zones and coverage",
    "events": "Events",
    "trips": "Trips by day and company",
    "violations": "Violations opened",
    "incidents": report_impact.INCIDENTS_TITLE,
}
LIMIT = 1000
# What a list's total is (the label is a msgid shown beside it).
MEASURES = {
    "count": "Total",
    "rows": "Records",
    "per_day": "Average per day",
    "sum": "Hours, summed",
    "median": "Median hours",
    "p90": "90% within, hours",
}
HOURS_MEASURES = ("sum", "median", "p90")


@dataclass(frozen=True)
class RecordList:
    """The rows behind a figure: columns, rows (each maybe with a link), how many, their sum."""

    kind: str
    title: str  # msgid
    period: ReportPeriod
    filters: dict[str, str]
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    links: tuple[str | None, ...]
    total: int | float | None  # the figure, by ``measure`` (None: no hours to measure)
    measure: str = "count"
    shown_limit: int = LIMIT

    @property
    def measure_label(self) -> str:
        """What the total is (a msgid)."""
        return MEASURES[self.measure]

    @property
    def truncated(self) -> bool:
        """Whether there are more rows than shown."""
        return len(self.rows) >= self.shown_limit


def _local(moment: datetime | None, tz: str) -> str | None:
    return None if moment is None else report_period.local_time(moment, tz)


def _company(db: Session, scope: Scope, slug: str | None) -> Company | None:
    if not slug:
        return None
    for c in cities_service.list_companies(db, city_id=scope.city_id):
        if c.slug == slug:
            return c
    raise NotFound(f"no company {slug!r} in this city")


def _company_names(db: Session, scope: Scope) -> dict[int, str]:
    return {c.id: c.name for c in cities_service.list_companies(db, city_id=scope.city_id)}


def _in_period(
    db: Session,
    scope: Scope,
    period: ReportPeriod,
    f: dict[str, str],
    *,
    city: Any,
    at: Any,
    company: Any = None,
) -> list[Any]:
    """The figure's own conditions: the city's rows whose ``at`` falls in the period, and, when
    a ``company`` column is given, of the company the ``company`` filter names."""
    where: list[Any] = [city == scope.city_id, at >= period.start, at < period.end]
    if company is not None:
        chosen = _company(db, scope, f.get("company"))
        if chosen is not None:
            where.append(company == chosen.id)
    return where


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{name} {value!r} is not a number", problems=[Problem(f"query.{name}", "a number")]
        ) from exc


def records(
    db: Session,
    *,
    scope: Scope,
    kind: str,
    start: str | None,
    end: str | None,
    filters: dict[str, str],
    now: datetime | None = None,
) -> RecordList:
    """The records of ``kind`` in the period ``start``..``end`` narrowed by ``filters``."""
    scope.require(*report.READERS)
    if kind not in KINDS:
        raise NotFound(f"no records {kind!r}: one of {', '.join(KINDS)}")
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    moment = now or utcnow()
    period = report_period.parse(timezone=city.timezone, now=moment, start=start, end=end)
    if filters.get("month"):
        # A month row of a longer period: the month's days within the period.
        month = report_period.parse(
            timezone=city.timezone, now=moment, period="month", at=filters["month"]
        )
        period = report_period.make(
            PeriodKind.custom,
            max(period.first, month.first),
            min(period.last, month.last),
            city.timezone,
        )
    measure = filters.get("measure") or "count"
    if measure not in MEASURES:
        raise InvalidInput(
            f"measure {measure!r} is not one of {', '.join(MEASURES)}",
            problems=[Problem("query.measure", ", ".join(MEASURES))],
        )
    found = _READERS[kind](db, scope, period, filters, moment)
    if measure in HOURS_MEASURES and found.hours is None:
        raise InvalidInput(
            f"{kind} records have no hours to measure",
            problems=[Problem("query.measure", "count, rows or per_day")],
        )
    return RecordList(
        kind, TITLES[kind], period, filters, found.columns, tuple(found.rows[:LIMIT]),
        tuple(found.links[:LIMIT]), _measured(kind, measure, found, period), measure,
    )  # fmt: skip


def _nearest_median(values: list[float]) -> float | None:
    return damage_figures.nearest_rank(values, 0.5)


# The median each kind's figures use: complaints take the nearest rank (``complaints.figures``),
# the others the middle value (``damage.figures``).
_MEDIANS: dict[str, Callable[[list[float]], float | None]] = {"complaints": _nearest_median}


def _measured(kind: str, measure: str, found: Found, period: ReportPeriod) -> int | float | None:
    """The list's total by ``measure``, rounded as the figures are."""
    if measure == "count":
        return found.total
    if measure == "rows":
        return found.total if found.listed is None else found.listed
    if measure == "per_day":
        return round(found.total / period.days, 1)
    hours = found.hours or []
    if measure == "sum":
        return round(sum(hours), 1)
    rule = _MEDIANS.get(kind, damage_figures.median) if measure == "median" else None
    value = rule(hours) if rule else damage_figures.nearest_rank(hours, 0.9)
    return None if value is None else round(value, 2)


def _put_in_order(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    where = _in_period(
        db, scope, period, f,
        city=WorkLog.city_id, at=WorkLog.finished_at, company=WorkLogCount.company_id,
    )  # fmt: skip
    if f.get("zone"):
        where.append(
            WorkLog.zone_id.is_(None)
            if f["zone"] == "none"
            else WorkLog.zone_id == _int(f["zone"], "zone")
        )
    if f.get("scout"):
        where.append(
            WorkLog.scout_id.is_(None)
            if f["scout"] == "none"
            else WorkLog.scout_id == _int(f["scout"], "scout")
        )
    stmt = (
        select(WorkLog.id, WorkLog.finished_at, WorkLog.scout_id, WorkLog.zone_id, WorkLog.task_id,
               func.sum(WorkLogCount.count))
        .join(WorkLogCount, WorkLogCount.work_log_id == WorkLog.id)
        .where(*where)
        .group_by(WorkLog.id, WorkLog.finished_at, WorkLog.scout_id, WorkLog.zone_id,
                  WorkLog.task_id)
        .order_by(WorkLog.finished_at, WorkLog.id)
    )  # fmt: skip
    found = db.execute(stmt).all()
    names = staff.display_names(db, [r[2] for r in found if r[2] is not None])
    zones = staff.zone_names(db, city_id=scope.city_id, zone_ids=[r[3] for r in found if r[3]])
    rows: list[tuple[Cell, ...]] = [
        (_local(at, period.timezone), names.get(scout, "—") if scout else "—",
         zones.get(zone, "—") if zone else "—", task, int(n or 0))
        for _id, at, scout, zone, task, n in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("finished", "Finished at", Unit.text),
        Column("scout", "Scout", Unit.text),
        Column("zone", "Zone", Unit.text),
        Column("task", "Task", Unit.number),
        Column("count", "Scooters", Unit.vehicles),
    )
    total = sum(int(r[5] or 0) for r in found)
    return Found(columns, rows, [None] * len(rows), total, listed=len(found))


def _complaints(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], now: datetime
) -> Found:
    if not access.sees_all_companies(scope):
        raise Forbidden("complaint records are for the operator's staff and the city")
    where: list[Any] = [
        *access.scope_clauses(scope),
        Complaint.received_at >= period.start,
        Complaint.received_at < period.end,
    ]
    source = f.get("source")
    if source == "official":
        where.append(Complaint.source.in_(("government", "police")))
    elif source:
        where.append(Complaint.source == source)
    if f.get("category"):
        where.append(Complaint.category == f["category"])
    where += _state_clauses(f.get("state"), now)
    company = _company(db, scope, f.get("company"))
    if company is not None:
        # About the company as the scorecard counts it: a match confirmed or routed.
        where.append(Complaint.status != ComplaintStatus.rejected)
        where.append(
            Complaint.id.in_(
                select(ComplaintCompany.complaint_id).where(
                    ComplaintCompany.company_id == company.id, *reading.complaint_matched()
                )
            )
        )
    found = list(db.scalars(select(Complaint).where(*where).order_by(Complaint.received_at)))
    if f.get("district"):
        found = _in_district(db, scope, found, f["district"])
    rows: list[tuple[Cell, ...]] = [
        (c.reference, _local(c.received_at, period.timezone),
         report.SOURCE_LABELS.get(str(c.source), str(c.source)),
         report.CATEGORY_LABELS.get(str(c.category), str(c.category)), str(c.status),
         _local(c.due_at, period.timezone), _local(c.closed_at, period.timezone))
        for c in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("reference", "Reference", Unit.text),
        Column("received", "Received", Unit.text),
        Column("source", "Source", Unit.text, translate=True),
        Column("category", "Category", Unit.text, translate=True),
        Column("status", "Status", Unit.text),
        Column("due", "Due", Unit.text),
        Column("closed", "Closed", Unit.text),
    )
    links: list[str | None] = [f"/complaints/{c.reference}" for c in found[:LIMIT]]
    return Found(columns, rows, links, len(found), _hours_to_resolve(found))


def _hours_to_resolve(found: list[Complaint]) -> list[float]:
    """The resolved complaints' hours to resolve, as ``complaints.figures`` counts them."""
    took = [complaint_figures.hours_to_resolve(c) for c in found]
    return [t for t in took if t is not None]


def _state_clauses(state: str | None, now: datetime) -> list[Any]:
    """The conditions of a complaint's state as of ``now``: open, overdue or resolved."""
    if not state:
        return []
    if state == "open":
        return [Complaint.status.in_([s.value for s in OPEN])]
    if state == "overdue":
        return [Complaint.status.in_([s.value for s in OPEN]), Complaint.due_at < now]
    if state == "resolved":
        return [Complaint.status == ComplaintStatus.resolved, Complaint.closed_at.is_not(None)]
    raise InvalidInput(
        f"state {state!r} is not open, overdue or resolved",
        problems=[Problem("query.state", "open, overdue or resolved")],
    )


def _in_district(db: Session, scope: Scope, found: list[Complaint], code: str) -> list[Complaint]:
    """The complaints about places in the district ``code`` (``outside``: in none), as the
    report's district table and the city view place them (the same locator)."""
    ids = {d.code: d.id for d in cities_districts.list_districts(db, city_id=scope.city_id)}
    if code != dashboards_maps.OUTSIDE and code not in ids:
        raise NotFound(f"no district {code!r} in this city")
    wanted = ids.get(code)  # None: outside every district
    located = cities_districts.locator(db, scope.city_id).locate(
        [c.lon for c in found], [c.lat for c in found]
    )
    return [c for c, d in zip(found, located, strict=True) if d == wanted]


def _damage_cases(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    where = _in_period(
        db, scope, period, f,
        city=DamageCase.city_id, at=DamageCase.first_reported_at, company=DamageCase.company_id,
    )  # fmt: skip
    found = list(
        db.scalars(select(DamageCase).where(*where).order_by(DamageCase.first_reported_at))
    )
    names = _company_names(db, scope)
    rows: list[tuple[Cell, ...]] = [
        (_local(c.first_reported_at, period.timezone), names.get(c.company_id or 0, "—"),
         c.vehicle_code, c.report_count)
        for c in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("reported", "First reported", Unit.text),
        Column("company", "Company", Unit.text),
        Column("vehicle", "Vehicle", Unit.text),
        Column("reports", "Reports", Unit.number),
    )
    return Found(columns, rows, [f"/damage/cases/{c.id}" for c in found[:LIMIT]], len(found))


def _handovers(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    where = _in_period(
        db, scope, period, f,
        city=Handover.city_id, at=Handover.handed_over_at, company=Handover.company_id,
    )  # fmt: skip
    where.append(Handover.status != HandoverStatus.cancelled)
    if f.get("collected") == "yes":
        # Off the street: collected, or resolved without a collection time (as the figure).
        where.append(or_(Handover.collected_at.is_not(None), Handover.resolved_at.is_not(None)))
    found = list(db.scalars(select(Handover).where(*where).order_by(Handover.handed_over_at)))
    names = _company_names(db, scope)
    tz = period.timezone
    took = [damage_figures.hours_to_collect(h.handed_over_at, h.collected_at, h.resolved_at)
            for h in found]  # fmt: skip
    rows: list[tuple[Cell, ...]] = [
        (h.reference, names.get(h.company_id, "—"), _local(h.handed_over_at, tz),
         _local(h.collected_at or h.resolved_at, tz), None if t is None else round(t, 2))
        for h, t in zip(found[:LIMIT], took, strict=False)
    ]  # fmt: skip
    columns = (
        Column("reference", "Reference", Unit.text),
        Column("company", "Company", Unit.text),
        Column("handed_over", "Handed over", Unit.text),
        Column("collected", "Collected", Unit.text),
        Column("hours", "Hours to collect", Unit.hours),
    )
    links: list[str | None] = [f"/damage/cases/{h.case_id}" for h in found[:LIMIT]]
    return Found(columns, rows, links, len(found), [t for t in took if t is not None])


def _matching_shifts(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str]
) -> list[Shift]:
    """The period's shifts (an event's: all of them), narrowed by zone and check-in."""
    if f.get("event"):
        event_id = _int(f["event"], "event")
        found = [s for s in report_work.event_shifts(db, [event_id]) if s.city_id == scope.city_id]
        found.sort(key=lambda s: (s.starts_at, s.id))
    else:
        found = report_work.shifts_in(db, city_id=scope.city_id, period=period)
    if f.get("zone"):
        zone_id = _int(f["zone"], "zone")
        found = [s for s in found if zone_id in (s.zone_ids or [])]
    if f.get("worked") == "yes":
        found = [s for s in found if s.checked_in_at is not None]
    return found


def _shifts(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    found = _matching_shifts(db, scope, period, f)
    names = staff.display_names(db, [s.user_id for s in found])
    tz = period.timezone
    rows: list[tuple[Cell, ...]] = [
        (names.get(s.user_id, "?"), _local(s.starts_at, tz), _local(s.ends_at, tz),
         _local(s.checked_in_at, tz), _local(s.checked_out_at, tz),
         round(report_work.worked_hours(s), 2))
        for s in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("person", "Person", Unit.text),
        Column("starts", "Starts", Unit.text),
        Column("ends", "Ends", Unit.text),
        Column("checked_in", "Check-in time", Unit.text),
        Column("checked_out", "Check-out time", Unit.text),
        Column("hours", "Hours worked", Unit.hours),
    )
    hours = [report_work.worked_hours(s) for s in found]
    return Found(columns, rows, [None] * len(rows), len(found), hours)


def _people(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    """One row per person with a shift among the matching ones: the "people on shift"."""
    by_person: dict[int, list[Shift]] = defaultdict(list)
    for shift in _matching_shifts(db, scope, period, f):
        by_person[shift.user_id].append(shift)
    names = staff.display_names(db, list(by_person))
    tallies = sorted(
        ((names.get(user, "?"), report_work.tally(shifts)) for user, shifts in by_person.items()),
        key=lambda t: t[0],
    )
    rows: list[tuple[Cell, ...]] = [
        (name, t.planned, t.worked, round(t.hours, 2)) for name, t in tallies
    ]
    columns = (
        Column("person", "Person", Unit.text),
        Column("planned", "Shifts planned", Unit.shifts),
        Column("worked", "Shifts worked", Unit.shifts),
        Column("hours", "Hours worked", Unit.hours),
    )
    hours = [t.hours for _name, t in tallies]
    return Found(columns, rows, [None] * len(rows), len(rows), hours)


def _duty_zones(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    """The duty zones with their shifts planned and worked (``covered=yes``: worked in)."""
    coverage = report_work.zone_coverage(db, scope=scope, period=period)
    if f.get("covered") == "yes":
        coverage = [(zone, t) for zone, t in coverage if t.worked > 0]
    rows: list[tuple[Cell, ...]] = [
        (zone.name, t.planned, t.worked, round(t.hours, 1)) for zone, t in coverage
    ]
    columns = (
        Column("zone", "Zone", Unit.text),
        Column("planned", "Shifts planned", Unit.shifts),
        Column("worked", "Shifts worked", Unit.shifts),
        Column("hours", "Hours on duty", Unit.hours),
    )
    links: list[str | None] = [f"/zones/{zone.id}" for zone, _t in coverage]
    return Found(columns, rows, links, len(rows), [t.hours for _zone, t in coverage])


def _events(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    found = report_work.events_in(db, city_id=scope.city_id, period=period)
    if f.get("staffed") == "yes":
        staffed = {s.city_event_id for s in report_work.event_shifts(db, [e.id for e in found])}
        found = [e for e in found if e.id in staffed]
    tz = period.timezone
    rows: list[tuple[Cell, ...]] = [
        (e.name, e.venue_name, _local(e.starts_at, tz), _local(e.ends_at, tz)) for e in found
    ]
    columns = (
        Column("event", "Event", Unit.text),
        Column("venue", "Venue", Unit.text),
        Column("starts", "Starts", Unit.text),
        Column("ends", "Ends", Unit.text),
    )
    return Found(columns, rows, [f"/events/{e.id}" for e in found], len(found))


def _trips(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    company = _company(db, scope, f.get("company"))
    where: list[Any] = [
        TripRollup.city_id == scope.city_id,
        TripRollup.local_date >= period.first,
        TripRollup.local_date <= period.last,
    ]
    if company is not None:
        where.append(TripRollup.company_id == company.id)
    stmt = (
        select(TripRollup.local_date, TripRollup.company_id, func.sum(TripRollup.trips))
        .where(*where)
        .group_by(TripRollup.local_date, TripRollup.company_id)
        .order_by(TripRollup.local_date, TripRollup.company_id)
    )
    names = _company_names(db, scope)
    found = db.execute(stmt).all()
    rows: list[tuple[Cell, ...]] = [
        (d.isoformat(), names.get(cid, "—"), int(n or 0)) for d, cid, n in found
    ]
    total = sum(int(n or 0) for _d, _c, n in found)
    columns = (
        Column("day", "Day", Unit.text),
        Column("company", "Company", Unit.text),
        Column("trips", "Trips", Unit.trips),
    )
    return Found(columns, rows, [None] * len(rows), total)


def _violations(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    """Violations opened in the period, as the report and the scorecard count them.

    ``kind`` narrows to one kind (``parking``: the scorecard's parking kinds); ``company`` to
    the violations involving the company: its own, and those of several companies it had
    vehicles in (a clutter counts once for each company it involved).
    """
    where = _in_period(db, scope, period, f, city=Violation.city_id, at=Violation.opened_at)
    if f.get("kind") == "parking":
        where.append(Violation.kind.in_([k.value for k in reading.PARKING_KINDS]))
    elif f.get("kind"):
        where.append(Violation.kind == f["kind"])
    company = _company(db, scope, f.get("company"))
    if company is not None:
        where.append(or_(Violation.company_id == company.id, Violation.company_id.is_(None)))
    found = list(db.scalars(select(Violation).where(*where).order_by(Violation.opened_at)))
    if company is not None:
        found = [
            v for v in found
            if v.company_id == company.id or company.slug in reading.involved(v.evidence)
        ]  # fmt: skip
    names = _company_names(db, scope)
    rows: list[tuple[Cell, ...]] = [
        (_local(v.opened_at, period.timezone), v.kind, names.get(v.company_id or 0, "—"),
         v.max_count, _local(v.closed_at, period.timezone))
        for v in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("opened", "Opened", Unit.text),
        Column("kind", "Kind", Unit.text),
        Column("company", "Company", Unit.text),
        Column("vehicles", "Vehicles", Unit.number),
        Column("closed", "Closed", Unit.text),
    )
    links: list[str | None] = [f"{API_PREFIX}/violations/{v.id}" for v in found[:LIMIT]]
    return Found(columns, rows, links, len(found))


_READERS = {
    "put_in_order": _put_in_order,
    "complaints": _complaints,
    "damage_cases": _damage_cases,
    "handovers": _handovers,
    "shifts": _shifts,
    "people": _people,
    "duty_zones": _duty_zones,
    "events": _events,
    "trips": _trips,
    "violations": _violations,
    "incidents": report_impact.incident_records,
}
