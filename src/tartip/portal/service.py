"""What a sharing company's portal shows: read-only views over the other domains, one company's.

Every function takes a ``Scope`` limited to one company (``scope.company_id`` set): a company
representative's own, or the one a supervisor looks through (``tartip.deps.CompanyView``). The
lower domains' services filter by that scope, so what a portal page shows is exactly what the
company's own API calls return; nothing here widens it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.complaints import access as complaints_access
from tartip.compliance import adoption, reading
from tartip.compliance import service as compliance_service
from tartip.compliance.adoption import AdoptionStatus
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden
from tartip.damage import service as damage_service
from tartip.damage.enums import HandoverStatus
from tartip.feeds import service as feeds_service
from tartip.feeds.enums import FeedHealth
from tartip.feeds.models import Feed, FeedPull
from tartip.fleet import service as fleet_service
from tartip.fleet.service import CompanyCounts
from tartip.zones import service as zones_service
from tartip.zones.enums import PUBLIC_KINDS
from tartip.zones.rules import ZoneRule

RECENT_DAYS = 7  # closed violations shown beside the open ones
RECENT_PULLS = 10


def company_of(scope: Scope) -> int:
    """The company a portal scope is limited to, or ``Forbidden`` for an unlimited scope."""
    if scope.company_id is None:
        raise Forbidden("the portal shows one company's data: open it as that company")
    return scope.company_id


@dataclass(frozen=True)
class CaseCount:
    """Open cases of one kind about the company's vehicles (handovers, complaints), if any."""

    key: str
    open: int
    overdue: int = 0


def count_handovers(db: Session, scope: Scope) -> CaseCount:
    """Damage handovers the company has not resolved yet, and those past their collection time."""
    now = utcnow()
    still_open = damage_service.HandoverFilter(statuses=OPEN_HANDOVERS)
    count = damage_service.count_handovers(db, scope=scope, filters=still_open, now=now)
    overdue = damage_service.overdue_count(db, scope=scope, now=now)
    return CaseCount(key="handovers", open=count, overdue=overdue)


def count_complaints(db: Session, scope: Scope) -> CaseCount:
    """Complaints routed to the company still open, and those past their due time."""
    now = utcnow()
    _rows, still_open = complaints_access.list_complaints(
        db, scope=scope, filters=complaints_access.ComplaintFilter(open_only=True), limit=1, at=now
    )
    _rows, overdue = complaints_access.list_complaints(
        db,
        scope=scope,
        filters=complaints_access.ComplaintFilter(overdue_only=True),
        limit=1,
        at=now,
    )
    return CaseCount(key="complaints", open=still_open, overdue=overdue)


# Open cases about the company's vehicles, from the domains that hand them to it.
CaseCounter = Callable[[Session, Scope], CaseCount]
CASE_COUNTERS: list[CaseCounter] = [count_handovers, count_complaints]
OPEN_HANDOVERS = (HandoverStatus.handed_over, HandoverStatus.acknowledged, HandoverStatus.collected)


@dataclass(frozen=True)
class Overview:
    """The company's state at a glance: vehicles, open violations, feeds, open cases."""

    company: Company
    vehicles: CompanyCounts
    open_violations: int
    violations_by_kind: dict[ViolationKind, int]
    feeds: list[Feed]
    cases: list[CaseCount] = field(default_factory=list)

    @property
    def feeds_down(self) -> int:
        """Feeds that are down or stale now."""
        return sum(1 for f in self.feeds if f.health in (FeedHealth.down, FeedHealth.stale))


def overview(db: Session, *, scope: Scope, company: Company, stale_before: datetime) -> Overview:
    """The company's overview for its portal."""
    company_id = company_of(scope)
    counts = fleet_service.summarise(db, scope=scope, stale_before=stale_before)
    vehicles = next((c for c in counts if c.company.id == company_id), CompanyCounts(company))
    stmt = (
        select(Violation.kind, func.count())
        .where(
            Violation.city_id == scope.city_id,
            Violation.company_id == company_id,
            Violation.closed_at.is_(None),
        )
        .group_by(Violation.kind)
    )
    by_kind = {ViolationKind(kind): int(n) for kind, n in db.execute(stmt)}
    return Overview(
        company=company,
        vehicles=vehicles,
        open_violations=sum(by_kind.values()),
        violations_by_kind=dict(sorted(by_kind.items(), key=lambda item: -item[1])),
        feeds=feeds_service.list_feeds(db, scope=scope),
        cases=[count(db, scope) for count in CASE_COUNTERS],
    )


@dataclass(frozen=True)
class Violations:
    """The company's open violations and those closed lately, newest first."""

    open: compliance_service.ViolationPage
    recent: compliance_service.ViolationPage


def violations(
    db: Session,
    *,
    scope: Scope,
    now: datetime,
    kind: ViolationKind | None = None,
    limit: int = 200,
) -> Violations:
    """The company's open violations and those closed in the last ``RECENT_DAYS`` days.

    Each is one page of at most ``limit`` rows, newest first, with the count of all that match:
    the "closed lately" condition is part of the query, so the count is right however many
    violations the company has.
    """
    company_of(scope)
    kinds = (kind,) if kind else ()
    still_open = compliance_service.list_violations(
        db, scope=scope, filters=compliance_service.ViolationFilter(kinds=kinds), limit=limit
    )
    recently_closed = compliance_service.ViolationFilter(
        kinds=kinds, open=False, closed_since=now - timedelta(days=RECENT_DAYS)
    )
    recent = compliance_service.list_violations(
        db, scope=scope, filters=recently_closed, limit=limit
    )
    return Violations(open=still_open, recent=recent)


@dataclass(frozen=True)
class FeedView:
    """One of the company's feeds with its latest fetches."""

    feed: Feed
    pulls: list[FeedPull]

    @property
    def errors(self) -> int:
        """Failed fetches among the latest."""
        return sum(1 for p in self.pulls if p.outcome == "error")

    @property
    def schema_problems(self) -> int:
        """Schema problems found in the latest fetches."""
        return sum(p.schema_problems for p in self.pulls)


def feeds(db: Session, *, scope: Scope) -> list[FeedView]:
    """The company's feeds, each with its latest fetches (errors and schema problems shown)."""
    company_of(scope)
    found = feeds_service.list_feeds(db, scope=scope)
    pulls = feeds_service.recent_pulls(db, feeds=found, per_feed=RECENT_PULLS)
    return [FeedView(feed=f, pulls=pulls.get(f.id, [])) for f in found]


@dataclass(frozen=True)
class RuleView:
    """A zone rule that binds the company, whether it applies now, and whether its app has it."""

    rule: ZoneRule
    active_now: bool
    fleet_cap: int | None
    adoption: AdoptionStatus | None


@dataclass(frozen=True)
class CityLimits:
    """The city-wide thresholds the company's vehicles are judged by (only its own cap)."""

    fleet_cap: int | None
    parking_required: bool
    parked_too_long_s: float
    disabled_too_long_s: float


@dataclass(frozen=True)
class Rules:
    """The rules published to the company: zones in force that bind it, and the city's limits."""

    rules: list[RuleView]
    limits: CityLimits


def rules(db: Session, *, scope: Scope, company: Company, now: datetime) -> Rules:
    """The zones in force now that bind the company (in GBFS order), with its app's adoption."""
    company_id = company_of(scope)
    binding = [
        r
        for r in zones_service.in_force(db, city_id=scope.city_id, at=now)
        if r.kind in PUBLIC_KINDS and r.applies_to(company_id)
    ]
    adopted = {
        a.zone_id: a.status
        for found in adoption.rule_adoption(db, scope=scope, at=now)
        for a in found.rules
    }
    views = [
        RuleView(
            rule=r,
            active_now=r.is_active(now),
            fleet_cap=r.fleet_caps.get(company_id),
            adoption=adopted.get(r.zone_id),
        )
        for r in binding
    ]
    views.sort(key=lambda v: (not v.active_now, v.rule.kind, v.rule.name))
    city = reading.load_thresholds(db, city_id=scope.city_id).city()
    limits = CityLimits(
        fleet_cap=city.fleet_caps.get(company.slug, city.fleet_cap),
        parking_required=city.parking_required,
        parked_too_long_s=city.parked_too_long_s,
        disabled_too_long_s=city.disabled_too_long_s,
    )
    return Rules(rules=views, limits=limits)
