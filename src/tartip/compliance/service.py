"""Use cases of compliance for people: violations to read, thresholds to set, the duty board.

Every function takes the caller's ``Scope``: always the caller's city, and for a company
representative only violations of their own company. Violations of no single company (a parking
place over capacity, a mixed clutter) are the unified operator's and stay hidden from company
representatives, as a rival's rows are (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.compliance import reading
from tartip.compliance.enums import ViolationKind
from tartip.compliance.index import ZoneIndex, ZoneShape
from tartip.compliance.models import ComplianceThreshold, DutyZoneLoad, Violation
from tartip.compliance.thresholds import (
    CITY,
    DEFAULTS,
    KIND_PREFIX,
    ZONE_PREFIX,
    ThresholdBook,
    Thresholds,
)
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, NotFound, Problem
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone

THRESHOLD_EDITORS = (Role.supervisor,)  # and admins
# City bodies read the thresholds (they are the city's rules); field staff and companies do not.
THRESHOLD_READERS = (Role.supervisor, Role.city_viewer)  # and admins


@dataclass(frozen=True)
class ViolationFilter:
    """Which violations a list covers; empty tuples mean "any"."""

    zone_id: int | None = None
    companies: tuple[str, ...] = ()
    kinds: tuple[ViolationKind, ...] = ()
    # True: open only (the default); False: closed only; None: both.
    open: bool | None = True
    # Closed at or after this moment (so closed ones only): the portal's "closed lately".
    closed_since: datetime | None = None


@dataclass(frozen=True)
class ViolationRow:
    """A violation with its company and zone name, as lists show it."""

    violation: Violation
    company: Company | None
    zone_name: str | None


@dataclass(frozen=True)
class ViolationPage:
    """One page of violations and how many match in all."""

    rows: list[ViolationRow]
    total: int


def _scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Violation.city_id == scope.city_id]
    if scope.company_id is not None:
        clauses.append(Violation.company_id == scope.company_id)
    return clauses


def _filter_clauses(scope: Scope, filters: ViolationFilter) -> list[ColumnElement[bool]]:
    clauses = _scope_clauses(scope)
    if filters.zone_id is not None:
        clauses.append(Violation.zone_id == filters.zone_id)
    if filters.companies:
        clauses.append(Company.slug.in_(filters.companies))
    if filters.kinds:
        clauses.append(Violation.kind.in_([k.value for k in filters.kinds]))
    if filters.open is True:
        clauses.append(Violation.closed_at.is_(None))
    elif filters.open is False:
        clauses.append(Violation.closed_at.is_not(None))
    if filters.closed_since is not None:
        clauses.append(Violation.closed_at >= filters.closed_since)
    return clauses


def list_violations(
    db: Session, *, scope: Scope, filters: ViolationFilter, offset: int = 0, limit: int = 100
) -> ViolationPage:
    """Violations in the caller's scope matching the filters, newest first, one page."""
    clauses = _filter_clauses(scope, filters)
    base = (
        select(Violation, Company, Zone.name)
        .outerjoin(Company, Company.id == Violation.company_id)
        .outerjoin(Zone, Zone.id == Violation.zone_id)
        .where(*clauses)
    )
    total = db.scalar(
        select(func.count())
        .select_from(Violation)
        .outerjoin(Company, Company.id == Violation.company_id)
        .where(*clauses)
    )
    stmt = (
        base.order_by(Violation.opened_at.desc(), Violation.id.desc()).offset(offset).limit(limit)
    )
    rows = [ViolationRow(v, c, name) for v, c, name in db.execute(stmt)]
    return ViolationPage(rows=rows, total=int(total or 0))


def get(db: Session, *, scope: Scope, violation_id: int) -> ViolationRow | None:
    """One violation in the caller's scope, or None."""
    stmt = (
        select(Violation, Company, Zone.name)
        .outerjoin(Company, Company.id == Violation.company_id)
        .outerjoin(Zone, Zone.id == Violation.zone_id)
        .where(Violation.id == violation_id, *_scope_clauses(scope))
    )
    found = db.execute(stmt).first()
    return ViolationRow(*found) if found else None


def get_or_raise(db: Session, *, scope: Scope, violation_id: int) -> ViolationRow:
    """One violation in the caller's scope, or ``NotFound`` (a rival's looks like none)."""
    row = get(db, scope=scope, violation_id=violation_id)
    if row is None:
        raise NotFound("no such violation")
    return row


def filter_options(db: Session, *, scope: Scope) -> dict[str, Any]:
    """What the list page's filters offer: the city's zones and the visible companies."""
    companies = select(Company).where(Company.city_id == scope.city_id).order_by(Company.name)
    if scope.company_id is not None:
        companies = companies.where(Company.id == scope.company_id)
    zones = (
        select(Zone.id, Zone.name)
        .where(Zone.city_id == scope.city_id, Zone.phase == "published")
        .order_by(Zone.name)
    )
    return {
        "companies": list(db.scalars(companies)),
        "zones": [(zid, name) for zid, name in db.execute(zones)],
        "kinds": list(ViolationKind),
    }


@dataclass(frozen=True)
class ThresholdSettings:
    """The defaults and a city's overrides."""

    defaults: Thresholds
    overrides: list[ComplianceThreshold]


def _require_board_reader(scope: Scope) -> None:
    if not scope.watches_operations:
        raise Forbidden("only the unified operator's staff and the city see the duty-zone board")


def list_thresholds(db: Session, *, scope: Scope) -> ThresholdSettings:
    """The detection thresholds of the caller's city: defaults and overrides."""
    scope.require(*THRESHOLD_READERS)
    stmt = (
        select(ComplianceThreshold)
        .where(ComplianceThreshold.city_id == scope.city_id)
        .order_by(ComplianceThreshold.level)
    )
    return ThresholdSettings(defaults=Thresholds(), overrides=list(db.scalars(stmt)))


def _check_level(db: Session, *, scope: Scope, level: str) -> Zone | None:
    """Refuse an unknown level; the zone of a ``zone:<id>`` level (of the caller's city)."""
    kinds = {k.value for k in ZoneKind}
    zone_id = level[len(ZONE_PREFIX) :] if level.startswith(ZONE_PREFIX) else ""
    ok = (
        level == CITY
        or (level.startswith(KIND_PREFIX) and level[len(KIND_PREFIX) :] in kinds)
        or zone_id.isdigit()
    )
    if not ok:
        raise InvalidInput(
            f"unknown threshold level {level!r}",
            problems=[Problem("path.level", "use city, kind:<zone kind> or zone:<zone id>")],
        )
    if not zone_id:
        return None
    zone = zones_service.get(db, scope=scope, zone_id=int(zone_id))
    if zone is None:
        raise InvalidInput(
            f"no zone {zone_id} in this city",
            problems=[Problem("path.level", "pick one of the city's zones")],
        )
    return zone


def _check_companies(db: Session, *, scope: Scope, slugs: Iterable[str]) -> None:
    known = set(db.scalars(select(Company.slug).where(Company.city_id == scope.city_id)))
    unknown = sorted(set(slugs) - known)
    if unknown:
        raise InvalidInput(
            "thresholds are not valid",
            problems=[Problem(f"fleet_caps.{s}", "no such company in this city") for s in unknown],
        )


def set_thresholds(
    db: Session, *, scope: Scope, level: str, values: dict[str, Any]
) -> ComplianceThreshold:
    """Replace the city's overrides at ``level`` with ``values`` (only the changed fields)."""
    scope.require(*THRESHOLD_EDITORS)
    _check_level(db, scope=scope, level=level)
    try:
        checked = Thresholds.model_validate(values)
    except ValidationError as exc:
        problems = [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        raise InvalidInput("thresholds are not valid", problems=problems) from exc
    _check_companies(db, scope=scope, slugs=checked.fleet_caps)
    row = db.scalars(
        select(ComplianceThreshold).where(
            ComplianceThreshold.city_id == scope.city_id, ComplianceThreshold.level == level
        )
    ).first()
    before = dict(row.values) if row else None
    if row is None:
        row = ComplianceThreshold(city_id=scope.city_id, level=level)
        db.add(row)
    row.values, row.updated_at, row.updated_by = dict(values), utcnow(), scope.username
    db.flush()
    audit.record(
        db,
        actor=scope.actor,
        action="compliance_threshold.set",
        entity_type="compliance_threshold",
        entity_id=row.id,
        city_id=scope.city_id,
        before=before,
        after=dict(values),
    )
    return row


@dataclass(frozen=True)
class ThresholdLevel:
    """One level's own overrides, and what holds there without them (the next level up)."""

    level: str
    values: dict[str, Any]
    inherited: Thresholds
    zone: Zone | None = None


@dataclass(frozen=True)
class ThresholdOverview:
    """What the thresholds page shows: defaults, overrides, one level chosen, zones to choose."""

    settings: ThresholdSettings
    chosen: ThresholdLevel
    zones: list[Zone]

    @property
    def city(self) -> Thresholds:
        """The values that hold where no zone kind or zone sets its own."""
        return _book_of(self.settings.overrides).city()


def _book_of(overrides: list[ComplianceThreshold]) -> ThresholdBook:
    return ThresholdBook(overrides={o.level: dict(o.values) for o in overrides})


def threshold_overview(db: Session, *, scope: Scope, level: str = CITY) -> ThresholdOverview:
    """The thresholds page for the caller: every level, and ``level``'s values to edit."""
    settings = list_thresholds(db, scope=scope)
    zone = _check_level(db, scope=scope, level=level)
    book = _book_of(settings.overrides)
    if level == CITY:
        inherited = DEFAULTS
    elif zone is not None:
        inherited = book.for_kind(zone.kind)
    else:
        inherited = book.city()
    chosen = ThresholdLevel(level, dict(book.overrides.get(level, {})), inherited, zone)
    zones, _total = zones_service.list_zones(db, scope=scope)
    return ThresholdOverview(settings=settings, chosen=chosen, zones=zones)


@dataclass
class DutyZoneStatus:
    """One duty zone on the board: its load now, its target, open violations, recent loads."""

    zone_id: int
    name: str
    code: str | None
    target_load: int | None
    load: int
    open_violations: int
    trend: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def over_target(self) -> bool:
        """Whether more vehicles stand in it than its target load."""
        return self.target_load is not None and self.load > self.target_load


def duty_board(
    db: Session, *, scope: Scope, at: datetime | None = None, hours: float = 6.0
) -> list[DutyZoneStatus]:
    """Every active duty zone of the city with its live load, open violations and trend."""
    _require_board_reader(scope)
    at = at or utcnow()
    duty = [
        r
        for r in zones_service.active_rules(db, city_id=scope.city_id, at=at)
        if r.kind is ZoneKind.duty
    ]
    if not duty:
        return []
    snapshot = reading.load_snapshot(db, city_id=scope.city_id, at=at)
    index = ZoneIndex([ZoneShape(r.geometry, r.point, r.radius_m) for r in duty])
    _vi, zi = index.join(snapshot.lon, snapshot.lat)
    loads = np.bincount(zi, minlength=len(duty))
    points = db.execute(
        select(Violation.lon, Violation.lat).where(
            Violation.city_id == scope.city_id, Violation.closed_at.is_(None)
        )
    ).all()
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    trend = _trends(db, city_id=scope.city_id, since=at - timedelta(hours=hours))
    board = [
        DutyZoneStatus(
            zone_id=r.zone_id,
            name=r.name,
            code=r.code,
            target_load=r.target_load,
            load=int(loads[i]),
            open_violations=int(shapely.intersects_xy(r.geometry, lon, lat).sum())
            if len(lon)
            else 0,
            trend=trend.get(r.zone_id, []),
        )
        for i, r in enumerate(duty)
    ]
    return sorted(board, key=lambda s: (not s.over_target, s.name))


def _trends(db: Session, *, city_id: int, since: datetime) -> dict[int, list[tuple[datetime, int]]]:
    stmt = (
        select(DutyZoneLoad.zone_id, DutyZoneLoad.at, DutyZoneLoad.vehicles)
        .where(DutyZoneLoad.city_id == city_id, DutyZoneLoad.at >= since)
        .order_by(DutyZoneLoad.at)
    )
    found: dict[int, list[tuple[datetime, int]]] = {}
    for zone_id, at, vehicles in db.execute(stmt):
        found.setdefault(zone_id, []).append((at, vehicles))
    return found
