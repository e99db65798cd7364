"""Use cases of Vision Zero: record incidents, list them, count them by month.

Who records: the operator's staff (source ``staff``), the traffic police with their token
(``police``) and a sharing company's representative or its token (``company``: always its own
vehicles). Who reads: the operator's staff and the city's viewers see every incident of the city;
a company sees its own vehicles' incidents; the police see what they sent. Every change a person
makes is written to the audit trail.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import OPERATOR_ROLES, Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, NotFound, Problem
from tartip.safety.enums import IncidentKind, IncidentSource, Severity
from tartip.safety.models import Incident
from tartip.safety.schemas import IncidentCreate, IncidentUpdate

# Who may read incidents (and the safety map): admins pass every check.
READERS = (
    Role.supervisor,
    Role.scout,
    Role.technician,
    Role.city_viewer,
    Role.company_rep,
    Role.police,
)
EDITORS = (Role.supervisor,)
# A clock a few minutes fast on a phone or a police tablet is not a time in the future.
FUTURE_SLACK = timedelta(minutes=10)
AUDITED = ("kind", "severity", "company_id", "vehicle_code", "injured", "description")


def source_for(scope: Scope) -> IncidentSource:
    """The source an account's incidents carry; ``Forbidden`` for accounts that may not send."""
    if scope.role in OPERATOR_ROLES:
        return IncidentSource.staff
    if scope.role is Role.police:
        return IncidentSource.police
    if scope.role is Role.company_rep and scope.company_id is not None:
        return IncidentSource.company
    raise Forbidden(f"role {scope.role.value!r} may not record incidents")


def _visible(scope: Scope) -> list[Any]:
    """The filter of incidents a caller may see."""
    scope.require(*READERS)
    clauses: list[Any] = [Incident.city_id == scope.city_id]
    if scope.company_id is not None:
        clauses.append(Incident.company_id == scope.company_id)
    elif scope.role is Role.police:
        clauses.append(Incident.reported_by_user_id == scope.user_id)
    return clauses


def _company_id(db: Session, *, scope: Scope, slug: str | None) -> int | None:
    """The company an incident names; a company's own account always names itself."""
    if scope.company_id is not None:
        if slug:
            own = db.get(Company, scope.company_id)
            if own is None or own.slug != slug:
                raise Forbidden("a company records incidents of its own vehicles only")
        return scope.company_id
    if not slug:
        return None
    company = cities_service.get_company(db, city_id=scope.city_id, slug=slug)
    if company is None:
        raise InvalidInput(
            f"no company {slug!r} in this city",
            problems=[Problem("company", f"unknown company {slug!r}")],
        )
    return company.id


def _check_time(occurred_at: datetime) -> None:
    if occurred_at > utcnow() + FUTURE_SLACK:
        raise InvalidInput(
            "the incident's time is in the future",
            problems=[Problem("occurred_at", f"{occurred_at.isoformat()} has not come yet")],
        )


def _find_sent(db: Session, *, scope: Scope, external_ref: str) -> Incident | None:
    return db.scalar(
        select(Incident).where(
            Incident.city_id == scope.city_id,
            Incident.reported_by_user_id == scope.user_id,
            Incident.external_ref == external_ref,
        )
    )


def snapshot(incident: Incident) -> dict[str, Any]:
    """The audited fields of an incident."""
    return {name: getattr(incident, name) for name in AUDITED}


def create(db: Session, *, scope: Scope, data: IncidentCreate) -> tuple[Incident, bool]:
    """Record an incident; returns it and whether it is new (False: its ``external_ref`` was
    sent before by the same account, and the stored incident is answered unchanged)."""
    source = source_for(scope)
    if data.external_ref is not None and scope.user_id is not None:
        sent = _find_sent(db, scope=scope, external_ref=data.external_ref)
        if sent is not None:
            return sent, False
    _check_time(data.occurred_at)
    incident = Incident(
        city_id=scope.city_id,
        kind=data.kind,
        severity=data.severity,
        source=source,
        occurred_at=data.occurred_at,
        lon=data.lon,
        lat=data.lat,
        company_id=_company_id(db, scope=scope, slug=data.company),
        vehicle_code=data.vehicle_code,
        injured=data.injured,
        description=data.description,
        external_ref=data.external_ref,
        reported_by_user_id=scope.user_id,
        reported_by=scope.username,
        updated_at=utcnow(),
    )
    db.add(incident)
    db.flush()
    audit.record(
        db,
        actor=scope.actor,
        action="safety.incident.create",
        entity_type="incident",
        entity_id=incident.id,
        city_id=scope.city_id,
        after={**snapshot(incident), "source": source.value},
    )
    return incident, True


def get(db: Session, *, scope: Scope, incident_id: int) -> Incident | None:
    """An incident the caller may see, or None."""
    return db.scalar(select(Incident).where(Incident.id == incident_id, *_visible(scope)))


def get_or_raise(db: Session, *, scope: Scope, incident_id: int) -> Incident:
    """An incident the caller may see, or ``NotFound``."""
    incident = get(db, scope=scope, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id} in this city")
    return incident


def update(db: Session, *, scope: Scope, incident_id: int, data: IncidentUpdate) -> Incident:
    """Correct an incident (supervisors): what it was, how bad, whose vehicle; audited."""
    scope.require(*EDITORS)
    incident = get_or_raise(db, scope=scope, incident_id=incident_id)
    before = snapshot(incident)
    changes = data.model_dump(exclude_unset=True)
    if "company" in changes:
        incident.company_id = _company_id(db, scope=scope, slug=changes.pop("company"))
    for name, value in changes.items():
        if value is not None:
            setattr(incident, name, value)
    after = snapshot(incident)
    if after != before:
        incident.updated_at = utcnow()
        audit.record(
            db,
            actor=scope.actor,
            action="safety.incident.update",
            entity_type="incident",
            entity_id=incident.id,
            city_id=scope.city_id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return incident


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a list or the map covers: a period (UTC instants) and some kinds."""

    since: datetime | None = None
    until: datetime | None = None
    kinds: tuple[IncidentKind, ...] = ()
    severities: tuple[Severity, ...] = ()
    company: str | None = None

    def clauses(self, db: Session, *, scope: Scope) -> list[Any]:
        """The SQL filter of these incidents, inside what the caller may see."""
        found = _visible(scope)
        if self.since is not None:
            found.append(Incident.occurred_at >= self.since)
        if self.until is not None:
            found.append(Incident.occurred_at < self.until)
        if self.kinds:
            found.append(Incident.kind.in_([k.value for k in self.kinds]))
        if self.severities:
            found.append(Incident.severity.in_([s.value for s in self.severities]))
        if self.company:
            found.append(Incident.company_id == _company_id(db, scope=scope, slug=self.company))
        return found


def list_incidents(
    db: Session,
    *,
    scope: Scope,
    where: IncidentFilter = IncidentFilter(),  # noqa: B008 - frozen, never changed
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Incident], int]:
    """Incidents the caller may see, newest first, and how many there are in all."""
    clauses = where.clauses(db, scope=scope)
    total = db.scalar(select(func.count()).select_from(Incident).where(*clauses)) or 0
    rows = db.scalars(
        select(Incident)
        .where(*clauses)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


@dataclass
class MonthCount:
    """Incidents of one local month: in all, by kind, by severity, and the people hurt."""

    month: str
    total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    injured: int = 0


def month_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC instants from the first local midnight of ``first``'s month to the end of ``last``'s."""
    zone = ZoneInfo(timezone)
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    after = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return start, datetime(after.year, after.month, 1, tzinfo=zone)


def _months(first: date, last: date) -> list[str]:
    found: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = year + month // 12, month % 12 + 1
    return found


def counts_by_month(
    db: Session, *, scope: Scope, first: date, last: date, company: str | None = None
) -> list[MonthCount]:
    """Incidents per month of city time from ``first``'s month to ``last``'s (both included);
    every month is listed, an empty one with zeros."""
    if last < first:
        raise InvalidInput(
            "the period ends before it starts",
            problems=[Problem("to", f"{last} is before {first}")],
        )
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    since, until = month_bounds(first, last, city.timezone)
    where = IncidentFilter(since=since, until=until, company=company)
    counts = {m: MonthCount(month=m) for m in _months(first, last)}
    rows = db.execute(
        select(Incident.occurred_at, Incident.kind, Incident.severity, Incident.injured).where(
            *where.clauses(db, scope=scope)
        )
    )
    zone = ZoneInfo(city.timezone)
    # Incidents are few (hundreds a month at most): bucketing in Python keeps one code path
    # for both databases' month arithmetic in the city's time zone.
    for occurred_at, kind, severity, injured in rows:
        count = counts[occurred_at.astimezone(zone).strftime("%Y-%m")]
        count.total += 1
        count.by_kind[str(kind)] += 1
        count.by_severity[str(severity)] += 1
        count.injured += injured
    return list(counts.values())


def day_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC instants from the local midnight starting ``first`` to the one ending ``last``."""
    if last < first:
        raise InvalidInput(
            "the period ends before it starts",
            problems=[Problem("to", f"{last} is before {first}")],
        )
    zone = ZoneInfo(timezone)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = last + timedelta(days=1)
    return start, datetime(end.year, end.month, end.day, tzinfo=zone)
