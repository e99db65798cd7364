"""Rule adoption: which of the city's rules each company has put into its own app.

A company's app enforces what its GBFS ``geofencing_zones`` say (``CompanyGeofence``, rules in
GBFS 3.0 names). For each city rule in force of a kind a rider's app can enforce (no-ride, slow
with a speed, no-parking), the company has *adopted* it when its zones whose rules are the same or
stricter cover the city zone with an intersection over union of at least ``iou_threshold``.
Every rule entry of a company zone must be the same or stricter, because GBFS lets an entry name
some vehicle types only and we cannot tell which types are on the street.

- no-ride: ``ride_through_allowed`` is false;
- no-parking: ``ride_end_allowed`` is false (a no-ride zone that also forbids ending is stricter);
- slow at S km/h: ``maximum_speed_kph`` ≤ S, or riding through is forbidden outright.

Overlap is measured in degrees: the zones compared lie within a city, where a degree of longitude
is a near-constant number of metres, so the ratio is the same as in metres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.feeds.models import CompanyGeofence
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

IOU_THRESHOLD = 0.5
ENFORCEABLE = (ZoneKind.no_ride, ZoneKind.slow, ZoneKind.no_parking)


class AdoptionStatus(StrEnum):
    """How far a company's app follows one city rule."""

    adopted = "adopted"  # a zone as strict or stricter covers it
    weaker = "weaker"  # zones cover it, but their rule is weaker (e.g. a higher speed)
    missing = "missing"  # nothing in the company's zones covers it
    no_geofences = "no_geofences"  # the company publishes no geofencing zones at all


@dataclass(frozen=True)
class CompanyZone:
    """One zone of a company's own geofencing, as pure data."""

    name: str | None
    geometry: BaseGeometry
    rules: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class RuleAdoption:
    """One city rule against one company's zones."""

    zone_id: int
    zone_name: str
    kind: ZoneKind
    speed_limit_kph: int | None
    status: AdoptionStatus
    iou: float
    company_zones: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CompanyAdoption:
    """Every enforceable city rule for one company, and how many it has adopted."""

    company: Company
    rules: list[RuleAdoption]

    @property
    def adopted(self) -> int:
        """Rules the company's app enforces."""
        return sum(1 for r in self.rules if r.status is AdoptionStatus.adopted)


def strict_enough(rule: ZoneRule, entries: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every rule entry of a company zone is the same as ``rule`` or stricter."""
    if not entries:
        return False
    return all(_entry_ok(rule, e) for e in entries)


def _entry_ok(rule: ZoneRule, entry: Mapping[str, Any]) -> bool:
    no_through = entry.get("ride_through_allowed") is False
    if rule.kind is ZoneKind.no_ride:
        return no_through
    if rule.kind is ZoneKind.no_parking:
        return entry.get("ride_end_allowed") is False
    speed = entry.get("maximum_speed_kph")
    limit = rule.speed_limit_kph
    return no_through or (speed is not None and limit is not None and float(speed) <= limit)


def _iou(area: BaseGeometry, cover: BaseGeometry) -> float:
    union = shapely.area(shapely.union(area, cover))
    return float(shapely.area(shapely.intersection(area, cover)) / union) if union else 0.0


def compare(
    rules: Sequence[ZoneRule], zones: Sequence[CompanyZone], *, iou_threshold: float = IOU_THRESHOLD
) -> list[RuleAdoption]:
    """How one company's zones follow each enforceable city rule."""
    found = []
    tree = shapely.STRtree([z.geometry for z in zones]) if zones else None
    for rule in rules:
        near = [zones[i] for i in tree.query(rule.geometry, predicate="intersects")] if tree else []
        good = [z for z in near if strict_enough(rule, z.rules)]
        iou_good = (
            _iou(rule.geometry, shapely.union_all([z.geometry for z in good])) if good else 0.0
        )
        iou_any = (
            _iou(rule.geometry, shapely.union_all([z.geometry for z in near])) if near else 0.0
        )
        if not zones:
            status = AdoptionStatus.no_geofences
        elif iou_good >= iou_threshold:
            status = AdoptionStatus.adopted
        elif iou_any >= iou_threshold:
            status = AdoptionStatus.weaker
        else:
            status = AdoptionStatus.missing
        found.append(
            RuleAdoption(
                zone_id=rule.zone_id,
                zone_name=rule.name,
                kind=rule.kind,
                speed_limit_kph=rule.speed_limit_kph,
                status=status,
                iou=round(iou_good if status is AdoptionStatus.adopted else iou_any, 3),
                company_zones=[z.name or "" for z in (good or near)],
            )
        )
    return found


def rule_adoption(
    db: Session, *, scope: Scope, at: datetime | None = None, iou_threshold: float = IOU_THRESHOLD
) -> list[CompanyAdoption]:
    """Each visible company's adoption of the city's enforceable rules in force at ``at``."""
    at = at or utcnow()
    rules = [
        r
        for r in zones_service.active_rules(db, city_id=scope.city_id, at=at)
        if r.kind in ENFORCEABLE
    ]
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    visible = scope.visible_company_ids(None)
    result = []
    for company in companies:
        if visible is not None and company.id not in visible:
            continue
        stmt = select(CompanyGeofence).where(CompanyGeofence.company_id == company.id)
        zones = [CompanyZone(g.name, g.geometry, g.rules) for g in db.scalars(stmt)]
        binding = [r for r in rules if r.applies_to(company.id)]
        result.append(
            CompanyAdoption(company, compare(binding, zones, iou_threshold=iou_threshold))
        )
    return result
