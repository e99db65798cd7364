"""Checking a zone before it is stored: geometry, place in the city, the rule its kind needs.

Pure functions with no database. Each returns the problems found, in words a GIS person can act
on, and the repairs it made (only ring order is repaired; everything else is refused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from tartip.zones import geometry as zgeom
from tartip.zones.enums import ZoneKind

# The city border is drawn from OSM; a zone may overhang it by this much (degrees, about 50 m).
BOUNDARY_TOLERANCE_DEG = 0.0005
REORIENTED = (
    "ring order reversed to the RFC 7946 right-hand rule "
    "(exterior rings counter-clockwise, holes clockwise)"
)
SPEED_KINDS = frozenset({ZoneKind.slow, ZoneKind.service_area})


@dataclass
class CheckedShape:
    """A zone's geometry after checking: as drawn (reoriented if needed) and the area it covers."""

    geometry: BaseGeometry
    area: MultiPolygon
    repairs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RuleParams:
    """The rule parameters of a zone, as far as checking needs them."""

    kind: ZoneKind
    capacity: int | None = None
    speed_limit_kph: int | None = None
    target_load: int | None = None
    fleet_caps: dict[str, int] = field(default_factory=dict)
    companies: tuple[str, ...] = ()


@lru_cache(maxsize=16)
def _tolerant(boundary_wkb: bytes) -> PreparedGeometry:
    boundary = shapely.from_wkb(boundary_wkb)
    return prep(boundary.buffer(BOUNDARY_TOLERANCE_DEG))


def check_shape(
    geojson: dict[str, Any], *, radius_m: float | None, boundary: BaseGeometry | None
) -> tuple[CheckedShape | None, list[str]]:
    """The checked geometry of a zone, or the problems that stop it."""
    kind = geojson.get("type")
    if kind not in ("Polygon", "MultiPolygon", "Point"):
        return None, [f"geometry type {kind!r} is not allowed; use Polygon, MultiPolygon or Point"]
    if kind != "Point":
        problems = zgeom.ring_problems(geojson)
        if problems:
            return None, problems
    try:
        geom = shapely.geometry.shape(geojson)
    except (ValueError, TypeError, IndexError, shapely.errors.GEOSException) as exc:
        return None, [f"not a GeoJSON {kind}: {exc}"]
    if geom.is_empty or not _is_wgs84(geom):
        return None, ["coordinates are not WGS84 longitude, latitude degrees"]
    if isinstance(geom, Point):
        return _point_shape(geom, radius_m=radius_m, boundary=boundary)
    return _polygon_shape(geom, boundary=boundary)


def _point_shape(
    point: Point, *, radius_m: float | None, boundary: BaseGeometry | None
) -> tuple[CheckedShape | None, list[str]]:
    if radius_m is None:
        return None, ["a zone drawn as a point needs radius_m (metres)"]
    area = zgeom.zone_area(point, radius_m)
    problems = _place_problems(area, boundary)
    return (None, problems) if problems else (CheckedShape(point, area), [])


def _polygon_shape(
    geom: BaseGeometry, *, boundary: BaseGeometry | None
) -> tuple[CheckedShape | None, list[str]]:
    reason = zgeom.invalid_reason(geom)
    if reason is not None:
        return None, [reason]
    repairs = []
    if not zgeom.is_rfc7946_oriented(geom):
        geom = zgeom.oriented(geom)
        repairs.append(REORIENTED)
    area = zgeom.as_multipolygon(geom)
    problems = _place_problems(area, boundary)
    return (None, problems) if problems else (CheckedShape(geom, area, repairs), [])


def _is_wgs84(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return all(math.isfinite(v) for v in geom.bounds) and (
        -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    )


def _place_problems(area: BaseGeometry, boundary: BaseGeometry | None) -> list[str]:
    """Problems with where a zone lies: outside the city, or written as lat, lon."""
    if boundary is None:
        return []
    inside = _tolerant(shapely.to_wkb(boundary))
    if inside.covers(area):
        return []
    flipped = zgeom.swapped(area)
    if _is_wgs84(flipped) and inside.covers(flipped):
        return [
            "coordinates are in latitude, longitude order; GeoJSON wants longitude, latitude "
            "(swapped, the zone would lie inside the city)"
        ]
    if inside.intersects(area):
        return ["the zone reaches outside the city boundary"]
    return ["the zone lies outside the city boundary"]


def check_rule(params: RuleParams, *, known_companies: set[str]) -> list[str]:
    """Problems with a zone's rule: what its kind needs, and what it may not carry."""
    problems = []
    kind = params.kind
    if kind is ZoneKind.parking and params.capacity is None:
        problems.append("a parking place needs a capacity (vehicles)")
    if kind is not ZoneKind.parking and params.capacity is not None:
        problems.append("capacity applies to parking places only")
    if kind is ZoneKind.slow and params.speed_limit_kph is None:
        problems.append("a slow zone needs speed_limit_kph")
    if kind not in SPEED_KINDS and params.speed_limit_kph is not None:
        problems.append("speed_limit_kph applies to slow zones and service areas only")
    if kind is not ZoneKind.duty and params.target_load is not None:
        problems.append("target_load applies to duty zones only")
    unknown = sorted((set(params.companies) | set(params.fleet_caps)) - known_companies)
    if unknown:
        problems.append(f"unknown company slug(s): {', '.join(unknown)}")
    if any(cap < 0 for cap in params.fleet_caps.values()):
        problems.append("fleet caps cannot be negative")
    return problems


def area_of(geometry: BaseGeometry, radius_m: float | None) -> MultiPolygon:
    """The area a stored zone covers (its polygon, or its point's disc)."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return zgeom.as_multipolygon(geometry)
    return zgeom.zone_area(geometry, radius_m)
