"""A city's districts: seeding them from the shipped boundaries, and finding the district of points.

``locator(db, city_id)`` gives a ``DistrictLocator`` whose ``locate(lons, lats)`` answers a whole
batch at once (Shapely 2's vectorised ``contains_xy`` over prepared polygons), so the ingest of a
day of trips finds every start and end district in well under a second. Locators are cached per
city and rebuilt when the city's districts change (their ids are the fingerprint).

Almaty's district polygons (OSM admin relations) leave thin gaps along the boundary roads and
rivers (about 1.9 km² in all). Scooters ride and park on exactly those roads, so a point in a gap
is given to the nearest district when it lies within ``GAP_TOLERANCE_M`` of one; a point further
from every district (outside the city) stays ``None``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import District
from tartip.core.geo import METRES_PER_DEGREE

# How far (metres) a point in a gap between districts may lie from the district it is given to.
GAP_TOLERANCE_M = 150.0
ALMATY_DISTRICTS = "data/almaty/boundaries/almaty_districts.geojson"


@dataclass(frozen=True)
class DistrictSeed:
    """A district read from a shipped GeoJSON file."""

    code: str
    name: str
    name_ru: str
    name_kk: str
    geometry: MultiPolygon


class DistrictLocator:
    """Finds the district of many points at once; built from one city's districts."""

    def __init__(self, ids: Sequence[int], geometries: Sequence[BaseGeometry]) -> None:
        self.ids = tuple(ids)
        self._geometries = np.array(list(geometries), dtype=object)
        shapely.prepare(self._geometries)
        self._tree = shapely.STRtree(self._geometries)
        self._bounds = shapely.total_bounds(self._geometries) if len(self.ids) else None
        mid_lat = (self._bounds[1] + self._bounds[3]) / 2 if self._bounds is not None else 0.0
        # Degrees of longitude shrink with latitude; use the smaller (longitude) degree so the
        # tolerance in degrees never exceeds GAP_TOLERANCE_M in any direction.
        self._tolerance_deg = GAP_TOLERANCE_M / (
            METRES_PER_DEGREE * max(math.cos(math.radians(mid_lat)), 1e-6)
        )
        # Everything within the tolerance of some district: only points in here (but in no
        # district) need the costly nearest-district search; the rest of the world is skipped.
        self._reach: BaseGeometry | None = None
        if len(self.ids):
            self._reach = shapely.union_all(self._geometries).buffer(self._tolerance_deg)
            shapely.prepare(self._reach)

    def locate(self, lons: Sequence[float], lats: Sequence[float]) -> list[int | None]:
        """The district id of each point (``None``: in no district), in the order given."""
        found = self.locate_indices(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        ids = self.ids
        return [ids[i] if i >= 0 else None for i in found.tolist()]

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Like ``locate``, as positions in ``ids`` (-1: in no district); for numeric callers."""
        if lons.shape != lats.shape:
            raise ValueError(f"{lons.shape[0]} longitudes but {lats.shape[0]} latitudes")
        result = np.full(lons.shape[0], -1, dtype=np.int64)
        if self._bounds is None or lons.size == 0:
            return result
        for position, geometry in enumerate(self._geometries):
            # Districts do not overlap: a point inside one is inside no other.
            open_points = result < 0
            inside = np.zeros_like(open_points)
            inside[open_points] = shapely.contains_xy(
                geometry, lons[open_points], lats[open_points]
            )
            result[inside] = position
        self._fill_gaps(lons, lats, result)
        return result

    def _fill_gaps(self, lons: np.ndarray, lats: np.ndarray, result: np.ndarray) -> None:
        """Give points in the thin gaps between districts to the nearest one, if close enough."""
        assert self._reach is not None
        missing = np.flatnonzero(result < 0)
        missing = missing[shapely.contains_xy(self._reach, lons[missing], lats[missing])]
        if missing.size == 0:
            return
        tol = self._tolerance_deg
        points = shapely.points(lons[missing], lats[missing])
        pairs, distances = self._tree.query_nearest(
            points, max_distance=tol, return_distance=True, all_matches=False
        )
        # Metres, not degrees, decide: scale the longitude part by the latitude's cosine.
        nearest = self._geometries[pairs[1]]
        close = _metres_apart(points[pairs[0]], nearest, distances) <= GAP_TOLERANCE_M
        result[missing[pairs[0][close]]] = pairs[1][close]


def _metres_apart(points: np.ndarray, geometries: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """The distance in metres between each point and its nearest geometry (equirectangular)."""
    nearest_points = shapely.shortest_line(points, geometries)
    coords = shapely.get_coordinates(nearest_points).reshape(-1, 2, 2)
    dlon = coords[:, 1, 0] - coords[:, 0, 0]
    dlat = coords[:, 1, 1] - coords[:, 0, 1]
    cos_lat = np.cos(np.radians(coords[:, 0, 1]))
    metres: np.ndarray = np.hypot(dlon * cos_lat, dlat) * METRES_PER_DEGREE
    return np.where(degrees == 0, 0.0, metres)


_cache: dict[tuple[str, int], DistrictLocator] = {}
_cache_lock = threading.Lock()


def locator(db: Session, city_id: int) -> DistrictLocator:
    """The district locator of a city, cached until the city's districts change.

    ``city_id`` may be passed by position: the ingest calls ``locator(db, city_id)``.
    """
    ids = tuple(
        db.scalars(select(District.id).where(District.city_id == city_id).order_by(District.id))
    )
    key = (str(db.get_bind().engine.url), city_id)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached.ids == ids:
        return cached
    rows = db.execute(
        select(District.id, District.geometry)
        .where(District.city_id == city_id)
        .order_by(District.id)
    ).all()
    built = DistrictLocator([row.id for row in rows], [row.geometry for row in rows])
    with _cache_lock:
        _cache[key] = built
    return built


def list_districts(db: Session, *, city_id: int) -> list[District]:
    """A city's districts, by name."""
    return list(
        db.scalars(select(District).where(District.city_id == city_id).order_by(District.name))
    )


@lru_cache(maxsize=8)
def read_seeds(resource: str = ALMATY_DISTRICTS) -> tuple[DistrictSeed, ...]:
    """The districts in a shipped GeoJSON file (properties ``name_en``, ``name_ru``, ``name_kk``).

    Read once per process: every test's city and every demo seed uses the same file.
    """
    path = resources.files("tartip") / resource
    collection = json.loads(path.read_text(encoding="utf-8"))
    seeds: list[DistrictSeed] = []
    for feature in collection["features"]:
        props = feature["properties"]
        geom = shapely.geometry.shape(feature["geometry"])
        multi = geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])
        name = str(props["name_en"])
        seeds.append(
            DistrictSeed(
                code=name.lower().replace(" ", "-"),
                name=name,
                name_ru=str(props.get("name_ru", "")),
                name_kk=str(props.get("name_kk", "")),
                geometry=multi,
            )
        )
    return tuple(seeds)


def seed(db: Session, *, city_id: int, seeds: Sequence[DistrictSeed]) -> list[District]:
    """Create the city's districts that are missing (by code); return every district of the city."""
    existing = {d.code for d in db.scalars(select(District).where(District.city_id == city_id))}
    for item in seeds:
        if item.code not in existing:
            db.add(
                District(
                    city_id=city_id,
                    code=item.code,
                    name=item.name,
                    name_ru=item.name_ru,
                    name_kk=item.name_kk,
                    geometry=item.geometry,
                )
            )
    db.flush()
    return list_districts(db, city_id=city_id)
