"""Turning stored zones into API schemas, showing each caller only what their scope allows."""

from __future__ import annotations

from typing import Any

from tartip.audit.models import AuditEntry
from tartip.auth.scope import Scope
from tartip.core.geo import geometry_to_geojson
from tartip.zones.checks import area_of
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone, ZoneVersion
from tartip.zones.schemas import (
    ScheduleIn,
    ZoneChangeRead,
    ZoneFeature,
    ZoneFeatureCollection,
    ZoneProperties,
    ZoneRead,
    ZoneVersionRead,
)
from tartip.zones.service import CityContext


def _companies(
    zone: Zone, ctx: CityContext, scope: Scope | None
) -> tuple[list[str], dict[str, int]]:
    # A company representative sees the rules that bind their company, not its rivals' caps.
    own = scope.company_id if scope is not None else None
    ids = [c for c in zone.company_ids if own is None or c == own]
    caps = {int(k): v for k, v in zone.fleet_caps.items() if own is None or int(k) == own}
    slugs = ctx.slug_by_id
    return (
        [slugs[c] for c in ids if c in slugs],
        {slugs[c]: v for c, v in caps.items() if c in slugs},
    )


def zone_properties(zone: Zone, *, ctx: CityContext, scope: Scope | None) -> ZoneProperties:
    """A zone's properties for this caller."""
    companies, caps = _companies(zone, ctx, scope)
    return ZoneProperties(
        id=zone.id,
        uid=zone.uid,
        kind=ZoneKind(zone.kind),
        phase=ZonePhase(zone.phase),
        name=zone.name,
        code=zone.code,
        description=zone.description,
        radius_m=zone.radius_m,
        capacity=zone.capacity,
        speed_limit_kph=zone.speed_limit_kph,
        target_load=zone.target_load,
        parking_required=zone.parking_required,
        companies=companies,
        fleet_caps=caps,
        schedule=ScheduleIn.model_validate(zone.schedule) if zone.schedule else None,
        active_from=zone.active_from,
        active_until=zone.active_until,
        version=zone.version,
        created_at=zone.created_at,
        updated_at=zone.updated_at,
        published_at=zone.published_at,
        retired_at=zone.retired_at,
    )


def zone_read(zone: Zone, *, ctx: CityContext, scope: Scope | None) -> ZoneRead:
    """A zone with its geometry as drawn."""
    props = zone_properties(zone, ctx=ctx, scope=scope)
    return ZoneRead(**props.model_dump(), geometry=geometry_to_geojson(zone.geometry))


def zone_feature(
    zone: Zone, *, ctx: CityContext, scope: Scope | None, buffered: bool = False
) -> ZoneFeature:
    """A zone as a GeoJSON Feature; ``buffered`` gives a point zone's disc instead of its point."""
    geom = area_of(zone.geometry, zone.radius_m) if buffered else zone.geometry
    return ZoneFeature(
        id=zone.id,
        geometry=geometry_to_geojson(geom),
        properties=zone_properties(zone, ctx=ctx, scope=scope),
    )


def feature_collection(
    zones: list[Zone], *, ctx: CityContext, scope: Scope | None, buffered: bool = False
) -> ZoneFeatureCollection:
    """Zones as a GeoJSON FeatureCollection."""
    return ZoneFeatureCollection(
        features=[zone_feature(z, ctx=ctx, scope=scope, buffered=buffered) for z in zones]
    )


def version_read(version: ZoneVersion) -> ZoneVersionRead:
    """One published version of a zone."""
    return ZoneVersionRead(
        version=version.version,
        uid=version.uid,
        kind=ZoneKind(version.kind),
        name=version.name,
        code=version.code,
        radius_m=version.radius_m,
        capacity=version.capacity,
        speed_limit_kph=version.speed_limit_kph,
        target_load=version.target_load,
        active_from=version.active_from,
        active_until=version.active_until,
        in_force_from=version.in_force_from,
        in_force_until=version.in_force_until,
        published_by=version.published_by,
        geometry=geometry_to_geojson(version.geometry),
    )


def change_read(entry: AuditEntry, *, scope: Scope | None) -> ZoneChangeRead:
    """A change to a zone; company representatives do not see other companies' ids in it."""
    before, after = entry.before, entry.after
    if scope is not None and scope.company_id is not None:
        before, after = _without_companies(before), _without_companies(after)
    return ZoneChangeRead(
        at=entry.at, actor=entry.actor, action=entry.action, before=before, after=after
    )


def _without_companies(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {k: v for k, v in data.items() if k not in ("company_ids", "fleet_caps")}
