"""GeoJSON and Shapely: reading, checking and writing geometries in WGS84 (lon, lat)."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from tartip.core.errors import InvalidInput, Problem

EARTH_RADIUS_M = 6_371_008.8
# Metres in a degree of latitude (and of longitude at the equator) on that sphere: the one flat
# approximation near a point that every module uses, so its distances agree with ``haversine_m``.
METRES_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_M / 360


def geometry_from_geojson(obj: dict[str, Any], *, where: str = "geometry") -> BaseGeometry:
    """A Shapely geometry from a GeoJSON geometry object, or ``InvalidInput`` saying why not."""
    try:
        geom = shapely.geometry.shape(obj)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise InvalidInput(
            "not a GeoJSON geometry", problems=[Problem(where, f"not a GeoJSON geometry: {exc}")]
        ) from exc
    return geom


def geometry_to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry object from a Shapely geometry."""
    mapping: dict[str, Any] = shapely.geometry.mapping(geom)
    return mapping


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def is_valid_lon_lat(lon: float, lat: float) -> bool:
    """Whether (lon, lat) is a finite WGS84 coordinate."""
    return (
        math.isfinite(lon)
        and math.isfinite(lat)
        and -180.0 <= lon <= 180.0
        and -90.0 <= lat <= 90.0
    )
