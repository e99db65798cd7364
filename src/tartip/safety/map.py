"""The safety map: incidents over the slow, no-ride and parking zones in force, clutter, and the
places where the rule of ``tartip.safety.hotspots`` suggests a slow zone or a parking place.

Everything is drawn from what the caller may see: a company sees its own vehicles' incidents and
clutter only (and so suggestions drawn from its own records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.errors import NotFound
from tartip.core.geo import geometry_to_geojson
from tartip.safety import hotspots
from tartip.safety import service as safety_service
from tartip.safety.enums import INJURY_SEVERITIES
from tartip.safety.models import Incident
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

# Who may open the map: the office, the city, a company (its own records). Admins pass.
MAP_READERS = (Role.supervisor, Role.city_viewer, Role.company_rep)
# Violations that record vehicles left where they should not be: the map's clutter.
CLUTTER_KINDS = (ViolationKind.clutter, ViolationKind.no_parking, ViolationKind.outside_parking)
SLOWING_KINDS = (ZoneKind.slow, ZoneKind.no_ride)
ZONE_KINDS = (*SLOWING_KINDS, ZoneKind.parking)


@dataclass(frozen=True)
class SafetyPicture:
    """What the map shows for a period."""

    city: City
    since: datetime
    until: datetime
    incidents: list[Incident]
    companies: dict[int, str]
    zones: list[ZoneRule]
    clutter: list[tuple[float, float]]
    suggestions: list[hotspots.Suggestion]
    rule: hotspots.HotspotRule


def _clutter(
    db: Session, *, scope: Scope, since: datetime, until: datetime
) -> list[tuple[float, float]]:
    clauses: list[Any] = [
        Violation.city_id == scope.city_id,
        Violation.kind.in_([k.value for k in CLUTTER_KINDS]),
        Violation.opened_at >= since,
        Violation.opened_at < until,
    ]
    if scope.company_id is not None:
        clauses.append(Violation.company_id == scope.company_id)
    rows = db.execute(select(Violation.lon, Violation.lat).where(*clauses))
    return [(float(lon), float(lat)) for lon, lat in rows]


def picture(
    db: Session,
    *,
    scope: Scope,
    since: datetime,
    until: datetime,
    rule: hotspots.HotspotRule = hotspots.HotspotRule(),  # noqa: B008 - frozen, never changed
) -> SafetyPicture:
    """The incidents, zones, clutter and suggestions of a period (UTC instants)."""
    scope.require(*MAP_READERS)
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    where = safety_service.IncidentFilter(since=since, until=until)
    incidents, _total = safety_service.list_incidents(db, scope=scope, where=where, limit=100_000)
    zones = [
        r
        for r in zones_service.in_force(db, city_id=city.id, at=min(until, utcnow()))
        if r.kind in ZONE_KINDS
    ]
    clutter = _clutter(db, scope=scope, since=since, until=until)
    suggestions = hotspots.suggest(
        [hotspots.Spot(i.lon, i.lat, i.severity in INJURY_SEVERITIES) for i in incidents],
        clutter,
        slow_areas=[z.geometry for z in zones if z.kind in SLOWING_KINDS],
        parking_areas=[z.geometry for z in zones if z.kind is ZoneKind.parking],
        ref_lat=city.center_lat,
        rule=rule,
    )
    companies = company_slugs(db, scope=scope)
    return SafetyPicture(
        city, since, until, incidents, companies, zones, clutter, suggestions, rule
    )


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _box(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    south, west, north, east = bounds
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def features(found: SafetyPicture) -> list[dict[str, Any]]:
    """The picture as GeoJSON features; ``properties.layer`` says which layer each belongs to."""
    out: list[dict[str, Any]] = []
    for zone in found.zones:
        props: dict[str, Any] = {
            "layer": "zone",
            "kind": zone.kind.value,
            "name": zone.name,
            "speed_limit_kph": zone.speed_limit_kph,
        }
        out.append(_feature(geometry_to_geojson(zone.geometry), props))
    for bounds, count in hotspots.clutter_cells(
        found.clutter, ref_lat=found.city.center_lat, cell_m=found.rule.cell_m
    ):
        out.append(_feature(_box(bounds), {"layer": "clutter", "count": count}))
    for incident in found.incidents:
        props = {
            "layer": "incident",
            "id": incident.id,
            "kind": incident.kind,
            "severity": incident.severity,
            "occurred_at": incident.occurred_at.isoformat(),
            "company": found.companies.get(incident.company_id or 0),
            "injured": incident.injured,
        }
        out.append(_feature(_point(incident.lon, incident.lat), props))
    for suggestion in found.suggestions:
        props = {
            "layer": "suggestion",
            "action": suggestion.action.value,
            "incidents": suggestion.incidents,
            "injuries": suggestion.injuries,
            "clutter": suggestion.clutter,
            "reason": suggestion.reason(),
        }
        out.append(_feature(_box(suggestion.bounds), props))
    return out


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def company_slugs(db: Session, *, scope: Scope) -> dict[int, str]:
    """Company slugs by id that the caller may see named."""
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    return {c.id: c.slug for c in companies if scope.company_id in (None, c.id)}
