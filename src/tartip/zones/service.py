"""Use cases of zones: list, create, update, publish, retire, and the rules in force at a moment.

Every change a person makes is written to the audit trail in the same transaction. Publishing
writes an immutable ``ZoneVersion``; changing a published zone publishes a new version at once
and closes the old one, so "which rules were in force at 14:05 last Tuesday" has one answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.core.geo import geometry_to_geojson
from tartip.zones import checks
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone, ZoneVersion
from tartip.zones.rules import Schedule, ZoneRule
from tartip.zones.schemas import ZoneCreate, ZoneUpdate

EDITORS = (Role.supervisor,)  # and admins, who pass every role check
CONTENT_FIELDS = (
    "kind", "name", "code", "geometry", "radius_m", "area", "capacity", "speed_limit_kph",
    "target_load", "parking_required", "company_ids", "fleet_caps", "schedule", "active_from",
    "active_until",
)  # fmt: skip


@dataclass(frozen=True)
class CityContext:
    """What checking and presenting a city's zones needs: its border, time zone and companies."""

    city_id: int
    timezone: str
    boundary: BaseGeometry | None
    slug_by_id: dict[int, str]

    @property
    def id_by_slug(self) -> dict[str, int]:
        """Company ids by slug."""
        return {slug: cid for cid, slug in self.slug_by_id.items()}


def city_context(db: Session, *, city_id: int) -> CityContext:
    """The context of a city's zones."""
    city = cities_service.get(db, city_id=city_id)
    if city is None:
        raise NotFound("no such city")
    companies = cities_service.list_companies(db, city_id=city_id)
    return CityContext(city.id, city.timezone, city.boundary, {c.id: c.slug for c in companies})


def _visible(scope: Scope) -> list[Any]:
    # Company representatives see the rules that bind them: published zones only.
    if scope.role is Role.company_rep:
        return [Zone.phase == ZonePhase.published]
    return []


def get(db: Session, *, scope: Scope, zone_id: int) -> Zone | None:
    """The zone with this id, if the caller may see it."""
    stmt = select(Zone).where(Zone.id == zone_id, Zone.city_id == scope.city_id, *_visible(scope))
    return db.scalars(stmt).first()


def get_or_raise(db: Session, *, scope: Scope, zone_id: int) -> Zone:
    """The zone with this id, or ``NotFound``."""
    zone = get(db, scope=scope, zone_id=zone_id)
    if zone is None:
        raise NotFound(f"no zone {zone_id}")
    return zone


def list_zones(
    db: Session,
    *,
    scope: Scope,
    kinds: Sequence[ZoneKind] = (),
    phases: Sequence[ZonePhase] = (),
    search: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Zone], int]:
    """The caller's city's zones (filtered), by kind and name, with the total count."""
    where = [Zone.city_id == scope.city_id, *_visible(scope)]
    if kinds:
        where.append(Zone.kind.in_(list(kinds)))
    if phases:
        where.append(Zone.phase.in_(list(phases)))
    if search:
        pattern = f"%{search.lower()}%"
        where.append(func.lower(Zone.name).like(pattern) | func.lower(Zone.code).like(pattern))
    total = db.scalar(select(func.count()).select_from(Zone).where(*where)) or 0
    stmt = select(Zone).where(*where).order_by(Zone.kind, Zone.name, Zone.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.scalars(stmt)), total


@dataclass(frozen=True)
class CheckedZone:
    """A zone's content after checking, ready to store, with the repairs made."""

    values: dict[str, Any]
    repairs: list[str]


def check(data: ZoneCreate, *, ctx: CityContext) -> tuple[CheckedZone | None, list[Problem]]:
    """Check a zone against its city; the values to store, or every problem found."""
    shape, shape_problems = checks.check_shape(
        data.geometry.model_dump(exclude_none=True), radius_m=data.radius_m, boundary=ctx.boundary
    )
    params = checks.RuleParams(
        kind=data.kind,
        capacity=data.capacity,
        speed_limit_kph=data.speed_limit_kph,
        target_load=data.target_load,
        fleet_caps=data.fleet_caps,
        companies=tuple(data.companies),
    )
    problems = [Problem("geometry", p) for p in shape_problems]
    problems += [
        Problem("rule", p) for p in checks.check_rule(params, known_companies=set(ctx.id_by_slug))
    ]
    if data.active_from and data.active_until and data.active_until <= data.active_from:
        problems.append(Problem("active_until", "the validity period ends before it starts"))
    if shape is None or problems:
        return None, problems
    ids = ctx.id_by_slug
    values = {
        "kind": data.kind,
        "name": data.name.strip(),
        "code": (data.code or "").strip() or None,
        "geometry": shape.geometry,
        "radius_m": data.radius_m if shape.geometry.geom_type == "Point" else None,
        "area": shape.area,
        "capacity": data.capacity,
        "speed_limit_kph": data.speed_limit_kph,
        "target_load": data.target_load,
        "parking_required": data.parking_required,
        "company_ids": sorted(ids[s] for s in set(data.companies)),
        "fleet_caps": {str(ids[s]): cap for s, cap in sorted(data.fleet_caps.items())},
        "schedule": Schedule.from_json(data.schedule.model_dump()).to_json()
        if data.schedule
        else None,
        "active_from": data.active_from,
        "active_until": data.active_until,
    }
    return CheckedZone(values, shape.repairs), []


def _checked_or_raise(data: ZoneCreate, *, ctx: CityContext) -> CheckedZone:
    checked, problems = check(data, ctx=ctx)
    if checked is None:
        raise InvalidInput(f"zone {data.name!r} cannot be saved", problems=problems)
    return checked


def _check_code_free(db: Session, *, city_id: int, code: str | None, zone_id: int | None) -> None:
    if code is None:
        return
    stmt = select(Zone.id).where(
        Zone.city_id == city_id, Zone.code == code, Zone.phase != ZonePhase.retired
    )
    other = db.scalars(stmt).first()
    if other is not None and other != zone_id:
        raise Conflict(f"code {code!r} is already used by zone {other}")


def summary(zone: Zone | ZoneVersion) -> dict[str, Any]:
    """A zone's content for the audit trail (geometry as GeoJSON)."""
    out: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        if name == "area":
            continue
        value = getattr(zone, name)
        if name == "geometry":
            value = geometry_to_geojson(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    if isinstance(zone, Zone):
        out["phase"] = str(zone.phase)
    return out


def create(db: Session, *, scope: Scope, data: ZoneCreate, ctx: CityContext | None = None) -> Zone:
    """Create a draft zone in the caller's city."""
    scope.require(*EDITORS)
    ctx = ctx or city_context(db, city_id=scope.city_id)
    checked = _checked_or_raise(data, ctx=ctx)
    _check_code_free(db, city_id=scope.city_id, code=checked.values["code"], zone_id=None)
    zone = Zone(
        city_id=scope.city_id,
        uid=str(uuid.uuid4()),
        phase=ZonePhase.draft,
        description=data.description,
        updated_at=utcnow(),
        **checked.values,
    )
    db.add(zone)
    db.flush()
    _audit(db, scope=scope, zone=zone, action="zone.create", after=summary(zone))
    return zone


def as_create(zone: Zone, *, ctx: CityContext) -> ZoneCreate:
    """A zone's current content as a ``ZoneCreate`` (the base an update is applied to)."""
    slugs = ctx.slug_by_id
    return ZoneCreate.model_validate(
        {
            "kind": zone.kind,
            "name": zone.name,
            "code": zone.code,
            "geometry": geometry_to_geojson(zone.geometry),
            "description": zone.description,
            "radius_m": zone.radius_m,
            "capacity": zone.capacity,
            "speed_limit_kph": zone.speed_limit_kph,
            "target_load": zone.target_load,
            "parking_required": zone.parking_required,
            "companies": [slugs[c] for c in zone.company_ids if c in slugs],
            "fleet_caps": {slugs[int(c)]: n for c, n in zone.fleet_caps.items() if int(c) in slugs},
            "schedule": zone.schedule,
            "active_from": zone.active_from,
            "active_until": zone.active_until,
        }
    )


def update(
    db: Session, *, scope: Scope, zone_id: int, data: ZoneUpdate, at: datetime | None = None
) -> Zone:
    """Change a zone; a published zone's change is in force at once, as a new version."""
    scope.require(*EDITORS)
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    if zone.phase == ZonePhase.retired:
        raise Conflict("a retired zone cannot be changed; create a new zone")
    ctx = city_context(db, city_id=scope.city_id)
    merged = as_create(zone, ctx=ctx).model_dump()
    merged.update(data.model_dump(exclude_unset=True))
    checked = _checked_or_raise(ZoneCreate.model_validate(merged), ctx=ctx)
    _check_code_free(db, city_id=scope.city_id, code=checked.values["code"], zone_id=zone.id)
    before = summary(zone)
    for name, value in checked.values.items():
        setattr(zone, name, value)
    zone.description = merged.get("description") or ""
    now = at or utcnow()
    zone.updated_at = now
    if zone.phase == ZonePhase.published:
        _write_version(db, zone=zone, scope=scope, at=now)
    db.flush()
    _audit(db, scope=scope, zone=zone, action="zone.update", before=before, after=summary(zone))
    return zone


def publish(db: Session, *, scope: Scope, zone_id: int, at: datetime | None = None) -> Zone:
    """Publish a draft: its rule is in force from now (``at``) and goes to the companies."""
    scope.require(*EDITORS)
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    if zone.phase != ZonePhase.draft:
        raise Conflict(f"zone {zone.id} is {zone.phase}, not a draft")
    now = at or utcnow()
    zone.phase = ZonePhase.published
    zone.published_at = now
    zone.updated_at = now
    version = _write_version(db, zone=zone, scope=scope, at=now)
    _audit(
        db,
        scope=scope,
        zone=zone,
        action="zone.publish",
        before={"phase": "draft"},
        after={"phase": "published", "version": version.version, "uid": version.uid},
    )
    return zone


def retire(db: Session, *, scope: Scope, zone_id: int, at: datetime | None = None) -> Zone:
    """Retire a zone: its rule stops being in force now (``at``); its history stays."""
    scope.require(*EDITORS)
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    if zone.phase == ZonePhase.retired:
        raise Conflict(f"zone {zone.id} is already retired")
    now = at or utcnow()
    before = str(zone.phase)
    _close_current_version(db, zone=zone, at=now)
    zone.phase = ZonePhase.retired
    zone.retired_at = now
    zone.updated_at = now
    _audit(
        db,
        scope=scope,
        zone=zone,
        action="zone.retire",
        before={"phase": before},
        after={"phase": "retired"},
    )
    return zone


def discard(db: Session, *, scope: Scope, zone_id: int) -> None:
    """Delete a draft that was never published (published zones are retired instead)."""
    scope.require(*EDITORS)
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    if zone.phase != ZonePhase.draft or zone.version:
        raise Conflict("only a never-published draft can be deleted; retire the zone instead")
    _audit(db, scope=scope, zone=zone, action="zone.delete", before=summary(zone))
    db.delete(zone)
    db.flush()


def _audit(
    db: Session,
    *,
    scope: Scope,
    zone: Zone,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(
        db,
        actor=scope.actor,
        action=action,
        entity_type="zone",
        entity_id=zone.id,
        city_id=zone.city_id,
        before=before,
        after=after,
    )


def _close_current_version(db: Session, *, zone: Zone, at: datetime) -> None:
    stmt = select(ZoneVersion).where(
        ZoneVersion.zone_id == zone.id, ZoneVersion.in_force_until.is_(None)
    )
    for current in db.scalars(stmt):
        # A version replaced the instant it was published was never in force: keep it empty.
        current.in_force_until = max(at, current.in_force_from)


def _write_version(db: Session, *, zone: Zone, scope: Scope, at: datetime) -> ZoneVersion:
    _close_current_version(db, zone=zone, at=at)
    zone.version += 1
    version = ZoneVersion(
        city_id=zone.city_id,
        zone_id=zone.id,
        version=zone.version,
        uid=str(uuid.uuid4()),
        in_force_from=at,
        published_by=scope.username,
        **{name: getattr(zone, name) for name in CONTENT_FIELDS},
    )
    db.add(version)
    db.flush()
    return version


def list_versions(db: Session, *, scope: Scope, zone_id: int) -> list[ZoneVersion]:
    """A zone's published versions, newest first."""
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    stmt = (
        select(ZoneVersion)
        .where(ZoneVersion.zone_id == zone.id)
        .order_by(ZoneVersion.version.desc())
    )
    return list(db.scalars(stmt))


def version_at(db: Session, *, scope: Scope, zone_id: int, at: datetime) -> ZoneVersion | None:
    """The version of a zone that was in force at ``at``, if any."""
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    stmt = select(ZoneVersion).where(ZoneVersion.zone_id == zone.id, *_in_force_at(at))
    return db.scalars(stmt).first()


def list_changes(db: Session, *, scope: Scope, zone_id: int) -> list[AuditEntry]:
    """Every change people made to a zone, newest first."""
    zone = get_or_raise(db, scope=scope, zone_id=zone_id)
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.city_id == zone.city_id,
            AuditEntry.entity_type == "zone",
            AuditEntry.entity_id == str(zone.id),
        )
        .order_by(AuditEntry.id.desc())
    )
    return list(db.scalars(stmt))


def _in_force_at(at: datetime) -> list[Any]:
    return [
        ZoneVersion.in_force_from <= at,
        ZoneVersion.in_force_until.is_(None) | (ZoneVersion.in_force_until > at),
    ]


def to_rule(version: ZoneVersion, *, timezone: str) -> ZoneRule:
    """A published version as a pure ``ZoneRule``."""
    point = version.geometry if version.geometry.geom_type == "Point" else None
    return ZoneRule(
        zone_id=version.zone_id,
        version=version.version,
        version_uid=version.uid,
        city_id=version.city_id,
        kind=ZoneKind(version.kind),
        name=version.name,
        code=version.code,
        geometry=version.area,
        timezone=timezone,
        point=(point.x, point.y) if point is not None else None,
        radius_m=version.radius_m,
        capacity=version.capacity,
        speed_limit_kph=version.speed_limit_kph,
        target_load=version.target_load,
        parking_required=version.parking_required,
        company_ids=frozenset(version.company_ids),
        fleet_caps={int(k): v for k, v in version.fleet_caps.items()},
        active_from=version.active_from,
        active_until=version.active_until,
        schedule=Schedule.from_json(version.schedule) if version.schedule else None,
        in_force_from=version.in_force_from,
        in_force_until=version.in_force_until,
    )


def in_force(db: Session, *, city_id: int, at: datetime) -> list[ZoneRule]:
    """The published zone versions of a city at ``at``, as pure rules.

    Validity periods and schedules are not applied here, so a caller may keep the list while
    ``rules_revision`` is unchanged and ask ``rule.is_active(moment)`` at each snapshot.
    """
    ctx_tz = cities_service.get(db, city_id=city_id)
    if ctx_tz is None:
        raise NotFound("no such city")
    stmt = (
        select(ZoneVersion)
        .where(ZoneVersion.city_id == city_id, *_in_force_at(at))
        .order_by(ZoneVersion.zone_id)
    )
    return [to_rule(v, timezone=ctx_tz.timezone) for v in db.scalars(stmt)]


def active_rules(db: Session, *, city_id: int, at: datetime) -> list[ZoneRule]:
    """The rules that apply at ``at``: in force, inside their validity period and schedule."""
    return [r for r in in_force(db, city_id=city_id, at=at) if r.is_active(at)]


def rules_revision(db: Session, *, city_id: int) -> tuple[int, int]:
    """A stamp that changes whenever a city's published rules change (publish, edit, retire)."""
    newest = db.scalar(select(func.max(ZoneVersion.id)).where(ZoneVersion.city_id == city_id))
    closed = db.scalar(
        select(func.count())
        .select_from(ZoneVersion)
        .where(ZoneVersion.city_id == city_id, ZoneVersion.in_force_until.is_not(None))
    )
    return int(newest or 0), int(closed or 0)


def list_published_versions(db: Session, *, city_id: int) -> list[ZoneVersion]:
    """Every version ever published in a city (MDS never withdraws one), oldest first."""
    stmt = (
        select(ZoneVersion)
        .where(ZoneVersion.city_id == city_id)
        .order_by(ZoneVersion.in_force_from, ZoneVersion.id)
    )
    return list(db.scalars(stmt))
