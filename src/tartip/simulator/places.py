"""A city's geography for the simulator: boundary, places where trips start and end, zones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from tartip.core.geo import geometry_from_geojson

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_EQUATOR = 111_320.0


class PlaceGroup(IntEnum):
    """What people go to a place for; an int so numpy can index the daily-rhythm tables."""

    home = 0
    transit = 1
    leisure = 2
    work = 3
    shopping = 4


class ZoneRule(StrEnum):
    """The 2023 Almaty scooter rules: no riding, slow riding (10 km/h), no parking."""

    no_ride = "no_ride"
    slow_zone = "slow_zone"
    no_parking = "no_parking"


@dataclass(frozen=True)
class LocalPlane:
    """An equirectangular plane in metres around a city centre: exact enough within 30 km."""

    lon0: float
    lat0: float

    @property
    def metres_per_degree_lon(self) -> float:
        """Metres per degree of longitude at the centre's latitude."""
        return METRES_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(self.lat0))

    def to_xy(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """WGS84 degrees to plane metres."""
        return (lon - self.lon0) * self.metres_per_degree_lon, (
            lat - self.lat0
        ) * METRES_PER_DEGREE_LAT

    def to_lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Plane metres to WGS84 degrees."""
        return x / self.metres_per_degree_lon + self.lon0, y / METRES_PER_DEGREE_LAT + self.lat0

    def degrees(self, metres: float) -> float:
        """A distance in metres as degrees of latitude (for buffering geometries)."""
        return metres / METRES_PER_DEGREE_LAT


@dataclass(frozen=True)
class PlaceSpec:
    """One place read from the data, before it joins the arrays of ``Places``."""

    key: str
    name_local: str
    name_en: str
    group: PlaceGroup
    weight: float
    radius_m: float
    hotspot: bool
    lon: float
    lat: float


@dataclass(frozen=True)
class Places:
    """Where trips start and end (hotspots, metro, stops), as parallel numpy arrays."""

    keys: tuple[str, ...]
    names_local: tuple[str, ...]
    names_en: tuple[str, ...]
    lon: FloatArray
    lat: FloatArray
    x: FloatArray
    y: FloatArray
    group: IntArray
    weight: FloatArray
    radius_m: FloatArray
    hotspot: BoolArray
    district: IntArray

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class RuleZone:
    """One of the city's scooter rule zones (2023), as published in geofencing_zones.json."""

    zone_id: str
    name_local: str
    name_en: str
    rule: ZoneRule
    max_speed_kmh: int | None
    geometry: MultiPolygon


@dataclass(frozen=True)
class District:
    """An administrative district, published as a GBFS region."""

    region_id: str
    name_local: str
    name_en: str
    geometry: BaseGeometry


def data_file(*parts: str) -> Traversable:
    """A file shipped in ``tartip/data``."""
    node = files("tartip").joinpath("data")
    for part in parts:
        node = node.joinpath(part)
    return node


def read_features(*parts: str) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection shipped in ``tartip/data``."""
    collection = orjson.loads(data_file(*parts).read_bytes())
    features: list[dict[str, Any]] = collection["features"]
    return features


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A Polygon or MultiPolygon as a MultiPolygon (GBFS areas must be MultiPolygons)."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise ValueError(f"not a polygonal geometry: {geom.geom_type}")


def read_zones(*parts: str) -> tuple[RuleZone, ...]:
    """The rule zones that have a geometry (zones known only by name are skipped)."""
    zones = []
    for feature in read_features(*parts):
        props, geom = feature["properties"], feature.get("geometry")
        if not geom:
            continue
        speed = props.get("max_speed_kmh")
        zones.append(
            RuleZone(
                zone_id=props["id"],
                name_local=props.get("name_local") or props["name_en"],
                name_en=props["name_en"],
                rule=ZoneRule(props["rule"]),
                max_speed_kmh=int(speed) if speed else None,
                geometry=as_multipolygon(geometry_from_geojson(geom)),
            )
        )
    return tuple(zones)


def read_districts(*parts: str) -> tuple[District, ...]:
    """The districts, in file order, with region ids made from their English names."""
    districts = []
    for feature in read_features(*parts):
        props = feature["properties"]
        name_en = props.get("name_en") or props["name_ru"]
        districts.append(
            District(
                region_id=name_en.lower().replace(" ", "-"),
                name_local=props.get("name_ru") or name_en,
                name_en=name_en,
                geometry=geometry_from_geojson(feature["geometry"]),
            )
        )
    return tuple(districts)


def build_places(
    specs: list[PlaceSpec], *, boundary: BaseGeometry, districts: tuple[District, ...]
) -> tuple[Places, LocalPlane]:
    """The places inside ``boundary`` as arrays, with the plane centred on the boundary."""
    shapely.prepare(boundary)
    inside = [s for s in specs if boundary.contains(Point(s.lon, s.lat))]
    centre = boundary.centroid
    plane = LocalPlane(lon0=centre.x, lat0=centre.y)
    lon = np.array([s.lon for s in inside], dtype=np.float64)
    lat = np.array([s.lat for s in inside], dtype=np.float64)
    x, y = plane.to_xy(lon, lat)
    district = np.full(len(inside), -1, dtype=np.int64)
    for index, d in enumerate(districts):
        district[(district < 0) & shapely.contains_xy(d.geometry, lon, lat)] = index
    places = Places(
        keys=tuple(s.key for s in inside),
        names_local=tuple(s.name_local for s in inside),
        names_en=tuple(s.name_en for s in inside),
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        group=np.array([int(s.group) for s in inside], dtype=np.int64),
        weight=np.array([s.weight for s in inside], dtype=np.float64),
        radius_m=np.array([s.radius_m for s in inside], dtype=np.float64),
        hotspot=np.array([s.hotspot for s in inside], dtype=np.bool_),
        district=district,
    )
    return places, plane
