"""The records behind each figure of the operator's report: every number can be opened.

Each kind (``put_in_order``, ``complaints``, ``damage_cases``, ``handovers``, ``shifts``,
``events``, ``trips``) selects its rows with the same conditions the figure counted with, so a
list's ``total`` (the sum of its ``count`` column, or its length) equals the figure. A list has a
link to each record's own page where there is one.
"""

from __future__ import annotations

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
from tartip.complaints.enums import OPEN, ComplaintStatus, MatchState
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, NotFound, Problem
from tartip.damage import figures as damage_figures
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import DamageCase, Handover
from tartip.ops import staff
from tartip.ops.models import WorkLog, WorkLogCount
from tartip.reports import dashboards_maps, report, report_period, report_work
from tartip.reports.report_model import API_PREFIX, Cell, Column, PeriodKind, ReportPeriod, Unit
from tartip.trips.statistics_models import TripRollup

KINDS = (
    "put_in_order", "complaints", "damage_cases", "handovers", "shifts", "events", "trips",
    "violations",
)  # fmt: skip
TITLES = {
    "put_in_order": "Work logs: scooters put in order",
    "complaints": "Complaints",
    "damage_cases": "Damaged vehicles found",
    "handovers": "Handovers to the companies",
    "shifts": "Shifts",
    "events": "Events",
    "trips": "Trips by day and company",
    "violations": "Violations opened",
}
LIMIT = 1000


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
    total: int  # the figure: the number of records, or the sum of their counts
    shown_limit: int = LIMIT

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
    reader = _READERS[kind]
    columns, rows, links, total = reader(db, scope, period, filters, moment)
    return RecordList(
        kind, TITLES[kind], period, filters, columns, tuple(rows), tuple(links), total
    )


Found = tuple[tuple[Column, ...], list[tuple[Cell, ...]], list[str | None], int]


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
        Column("finished", "Finished", Unit.text),
        Column("scout", "Scout", Unit.text),
        Column("zone", "Zone", Unit.text),
        Column("task", "Task", Unit.number),
        Column("count", "Scooters", Unit.vehicles),
    )
    return columns, rows, [None] * len(rows), sum(int(r[5] or 0) for r in found)


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
        where.append(
            Complaint.id.in_(
                select(ComplaintCompany.complaint_id).where(
                    ComplaintCompany.company_id == company.id,
                    ComplaintCompany.state != MatchState.rejected,
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
    links = [f"/complaints/{c.reference}" for c in found[:LIMIT]]
    return columns, rows, list(links), len(found)


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
    return columns, rows, [f"/damage/cases/{c.id}" for c in found[:LIMIT]], len(found)


def _hours(h: Handover) -> float | None:
    """Hours from handover to off the street, as the report's figure counts them."""
    took = damage_figures.hours_to_collect(h.handed_over_at, h.collected_at, h.resolved_at)
    return None if took is None else round(took, 2)


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
    rows: list[tuple[Cell, ...]] = [
        (h.reference, names.get(h.company_id, "—"), _local(h.handed_over_at, tz),
         _local(h.collected_at or h.resolved_at, tz), _hours(h))
        for h in found[:LIMIT]
    ]  # fmt: skip
    columns = (
        Column("reference", "Reference", Unit.text),
        Column("company", "Company", Unit.text),
        Column("handed_over", "Handed over", Unit.text),
        Column("collected", "Collected", Unit.text),
        Column("hours", "Hours to collect", Unit.hours),
    )
    return columns, rows, [f"/damage/cases/{h.case_id}" for h in found[:LIMIT]], len(found)


def _shifts(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
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
        Column("checked_in", "Checked in", Unit.text),
        Column("checked_out", "Checked out", Unit.text),
        Column("hours", "Hours worked", Unit.hours),
    )
    return columns, rows, [None] * len(rows), len(found)


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
    return columns, rows, [f"/events/{e.id}" for e in found], len(found)


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
    return columns, rows, [None] * len(rows), total


def _violations(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    """Violations opened in the period (``kind=clutter``: clutter only), as the report counts."""
    where = _in_period(db, scope, period, f, city=Violation.city_id, at=Violation.opened_at)
    if f.get("kind"):
        where.append(Violation.kind == f["kind"])
    found = list(db.scalars(select(Violation).where(*where).order_by(Violation.opened_at)))
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
    return columns, rows, links, len(found)


_READERS = {
    "put_in_order": _put_in_order,
    "complaints": _complaints,
    "damage_cases": _damage_cases,
    "handovers": _handovers,
    "shifts": _shifts,
    "events": _events,
    "trips": _trips,
    "violations": _violations,
}
