"""Zone geometry with no database: discs around points, RFC 7946 ring order, checks with reasons.

Coordinates are WGS84 ``(lon, lat)``. Discs are drawn on a local flat approximation around their
centre, which is exact to centimetres at the radii of parking places (metres to a few hundred).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from tartip.core.geo import EARTH_RADIUS_M

DISC_SEGMENTS = 48
# Coordinates kept in storage and output: 7 decimals is about 1 cm.
PRECISION = 7


def disc(lon: float, lat: float, radius_m: float, segments: int = DISC_SEGMENTS) -> Polygon:
    """The polygon of a circle of ``radius_m`` metres around ``(lon, lat)``, counter-clockwise."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-9)
    ring = [
        (
            round(lon + dlon * math.cos(2 * math.pi * i / segments), PRECISION),
            round(lat + dlat * math.sin(2 * math.pi * i / segments), PRECISION),
        )
        for i in range(segments)
    ]
    return Polygon(ring)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A Polygon or MultiPolygon as a MultiPolygon (one storage type for every area)."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise ValueError(f"expected a polygon, got {geom.geom_type}")


def oriented(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with RFC 7946 ring order: exteriors counter-clockwise, holes clockwise."""
    if isinstance(geom, Polygon):
        return orient(geom, sign=1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return geom


def is_rfc7946_oriented(geom: BaseGeometry) -> bool:
    """Whether every exterior ring runs counter-clockwise and every hole clockwise."""
    polygons = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    for poly in polygons:
        if not isinstance(poly, Polygon):
            continue
        if not shapely.is_ccw(poly.exterior):
            return False
        if any(shapely.is_ccw(hole) for hole in poly.interiors):
            return False
    return True


def zone_area(geom: BaseGeometry, radius_m: float | None) -> MultiPolygon:
    """The area a zone covers: its polygon, or the disc of its point and radius."""
    if isinstance(geom, Point):
        if radius_m is None or radius_m <= 0:
            raise ValueError("a point zone needs a radius in metres")
        return MultiPolygon([disc(geom.x, geom.y, radius_m)])
    return as_multipolygon(oriented(geom))


def rounded(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with coordinates rounded to about a centimetre."""
    return shapely.set_precision(geom, 10**-PRECISION, mode="pointwise")


def swapped(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with each coordinate pair reversed (lat, lon ↔ lon, lat)."""
    flipped: BaseGeometry = shapely.transform(geom, lambda coords: coords[:, ::-1])
    return flipped


def ring_problems(geojson: dict[str, Any]) -> list[str]:
    """What is wrong with the rings of a GeoJSON (Multi)Polygon as written: unclosed, too short."""
    kind = geojson.get("type")
    coords = geojson.get("coordinates")
    if not isinstance(coords, list):
        return ["coordinates are missing"]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    problems: list[str] = []
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            problems.append(f"polygon {p} has no rings")
            continue
        for r, ring in enumerate(rings):
            where = f"ring {r}" if kind == "Polygon" else f"polygon {p} ring {r}"
            problems += _ring_problem(where, ring)
    return problems


def _ring_problem(where: str, ring: Any) -> list[str]:
    if not isinstance(ring, list) or not all(_is_position(c) for c in ring):
        return [f"{where} is not a list of [lon, lat] positions"]
    if len(ring) < 4:
        return [f"{where} has {len(ring)} positions; a closed ring needs at least 4"]
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return [f"{where} is not closed: its last position must repeat the first"]
    return []


def _is_position(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    )


def invalid_reason(geom: BaseGeometry) -> str | None:
    """Why a geometry is not valid (e.g. a self-intersection and where), or None."""
    if geom.is_valid:
        return None
    reason = str(shapely.is_valid_reason(geom))
    if reason.startswith("Self-intersection") or reason.startswith("Ring Self-intersection"):
        return f"the outline crosses itself ({reason.lower()}); redraw it without the crossing"
    return f"the geometry is not valid: {reason}"


def json_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry object made of plain lists, ready for JSON and schema validation."""
    doc: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return doc
