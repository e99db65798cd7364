"""Which zones each vehicle stands in: a spatial join with no database, tuned per zone size.

Small zones (parking places: a few vertices, tens of metres, or a point with a radius) go into a
uniform grid of cells; a vehicle's cell gives its candidate zones, a bounding-box test in numpy
drops most of them, and an exact test settles the rest (GEOS for polygons, a distance in metres
for discs). Large zones (many vertices or wide: parks, service areas) are kept apart and each is
tested with its prepared geometry against the vehicles inside its bounding box, because a tree
over many-vertex polygons is slow (docs/compliance.md, PERFORMANCE.md).

Zones are closed sets: a vehicle exactly on a zone's boundary is inside it (decision 0020).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from tartip.core.geo import METRES_PER_DEGREE

# A zone is small when it has at most this many vertices and spans at most this many metres.
SMALL_MAX_VERTICES = 64
SMALL_MAX_SPAN_M = 500.0
# Grid cell side for small zones: about one candidate zone per vehicle at the benchmark's
# density (10,000 places in 600 km²); 150 m cells gave 60 % more candidates to test.
GRID_CELL_M = 75.0

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ZoneShape:
    """One zone's area: a polygon, or a disc given by its centre and radius in metres."""

    geometry: BaseGeometry
    centre: tuple[float, float] | None = None
    radius_m: float | None = None

    @property
    def is_disc(self) -> bool:
        """Whether the zone is a point with a radius (tested by distance, not by polygon)."""
        return self.centre is not None and self.radius_m is not None


@dataclass(frozen=True)
class _Grid:
    """Small zones bucketed by grid cell: cell ``c`` holds ``zones[start[c]:start[c + 1]]``."""

    lon0: float
    lat0: float
    cell_lon: float
    cell_lat: float
    nx: int
    ny: int
    start: IntArray
    zones: IntArray


class ZoneIndex:
    """The zones of a city, ready to be joined with vehicle positions many times."""

    def __init__(self, shapes: Sequence[ZoneShape], *, lat0: float | None = None) -> None:
        self.size = len(shapes)
        geoms = np.array([s.geometry for s in shapes], dtype=object)
        bounds = shapely.bounds(geoms) if len(geoms) else np.zeros((0, 4))
        self.lat0 = float(lat0 if lat0 is not None else _middle(bounds[:, 1], bounds[:, 3]))
        self.m_per_deg_lon = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        small = _is_small(shapes, geoms, bounds, self.m_per_deg_lon)
        self.small_ids: IntArray = np.flatnonzero(small).astype(np.int64)
        self.large_ids: IntArray = np.flatnonzero(~small).astype(np.int64)
        self._geoms = geoms
        self._bounds = bounds
        disc = np.array([s.is_disc for s in shapes], dtype=bool)
        self._disc = disc
        self._cx = np.array([s.centre[0] if s.centre else np.nan for s in shapes], dtype=float)
        self._cy = np.array([s.centre[1] if s.centre else np.nan for s in shapes], dtype=float)
        self._r = np.array([s.radius_m or np.nan for s in shapes], dtype=float)
        # Metres per degree of longitude at each disc's own latitude, as the disc was drawn.
        self._kx = METRES_PER_DEGREE * np.cos(np.radians(np.nan_to_num(self._cy, nan=self.lat0)))
        if len(geoms):
            shapely.prepare(geoms[~disc])
        self._grid = self._build_grid()

    def _build_grid(self) -> _Grid | None:
        ids = self.small_ids
        if not len(ids):
            return None
        b = self._bounds[ids]
        cell_lat = GRID_CELL_M / METRES_PER_DEGREE
        cell_lon = GRID_CELL_M / self.m_per_deg_lon
        lon0, lat0 = float(b[:, 0].min()), float(b[:, 1].min())
        x0 = ((b[:, 0] - lon0) / cell_lon).astype(np.int64)
        x1 = ((b[:, 2] - lon0) / cell_lon).astype(np.int64)
        y0 = ((b[:, 1] - lat0) / cell_lat).astype(np.int64)
        y1 = ((b[:, 3] - lat0) / cell_lat).astype(np.int64)
        nx, ny = int(x1.max()) + 1, int(y1.max()) + 1
        # Each zone is put in every cell its bounding box touches (usually one to four).
        wx, wy = x1 - x0 + 1, y1 - y0 + 1
        per_zone = wx * wy
        zone_of = np.repeat(np.arange(len(ids)), per_zone)
        k = np.arange(int(per_zone.sum())) - np.repeat(np.cumsum(per_zone) - per_zone, per_zone)
        cx = x0[zone_of] + k % wx[zone_of]
        cy = y0[zone_of] + k // wx[zone_of]
        cells = cy * nx + cx
        order = np.argsort(cells, kind="stable")
        start = np.zeros(nx * ny + 1, dtype=np.int64)
        np.add.at(start, cells + 1, 1)
        return _Grid(
            lon0=lon0,
            lat0=lat0,
            cell_lon=cell_lon,
            cell_lat=cell_lat,
            nx=nx,
            ny=ny,
            start=np.cumsum(start),
            zones=ids[zone_of[order]],
        )

    def join(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        """Every (vehicle index, zone index) pair where the vehicle stands in the zone."""
        vi_small, zi_small = self.join_small(lon, lat)
        vi_large, zi_large = self.join_large(lon, lat)
        return np.concatenate([vi_small, vi_large]), np.concatenate([zi_small, zi_large])

    def _candidates(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        grid = self._grid
        assert grid is not None
        cx = np.floor((lon - grid.lon0) / grid.cell_lon).astype(np.int64)
        cy = np.floor((lat - grid.lat0) / grid.cell_lat).astype(np.int64)
        inside = (cx >= 0) & (cx < grid.nx) & (cy >= 0) & (cy < grid.ny)
        cell = np.where(inside, cy * grid.nx + cx, 0)
        first = grid.start[cell]
        count = np.where(inside, grid.start[cell + 1] - first, 0)
        vi = np.repeat(np.arange(len(lon), dtype=np.int64), count)
        offset = np.arange(len(vi), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        zi = grid.zones[np.repeat(first, count) + offset]
        return vi, zi

    def join_small(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        """The pairs with small zones only (grid, bounding box, exact test)."""
        if self._grid is None or not len(lon):
            return _empty(), _empty()
        vi, zi = self._candidates(lon, lat)
        x, y, b = lon[vi], lat[vi], self._bounds[zi]
        near = (x >= b[:, 0]) & (x <= b[:, 2]) & (y >= b[:, 1]) & (y <= b[:, 3])
        vi, zi, x, y = vi[near], zi[near], x[near], y[near]
        disc = self._disc[zi]
        ok = np.empty(len(vi), dtype=bool)
        dx = (x[disc] - self._cx[zi[disc]]) * self._kx[zi[disc]]
        dy = (y[disc] - self._cy[zi[disc]]) * METRES_PER_DEGREE
        ok[disc] = dx * dx + dy * dy <= self._r[zi[disc]] ** 2
        poly = ~disc
        ok[poly] = shapely.intersects_xy(self._geoms[zi[poly]], x[poly], y[poly])
        return vi[ok], zi[ok]

    def join_large(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
        """The pairs with large zones only (bounding box, prepared geometry)."""
        found_v: list[IntArray] = [_empty()]
        found_z: list[IntArray] = [_empty()]
        for z in self.large_ids:
            b = self._bounds[z]
            idx = np.flatnonzero((lon >= b[0]) & (lon <= b[2]) & (lat >= b[1]) & (lat <= b[3]))
            if not len(idx):
                continue
            if self._disc[z]:
                dx = (lon[idx] - self._cx[z]) * self._kx[z]
                dy = (lat[idx] - self._cy[z]) * METRES_PER_DEGREE
                hit = idx[dx * dx + dy * dy <= self._r[z] ** 2]
            else:
                hit = idx[shapely.intersects_xy(self._geoms[z], lon[idx], lat[idx])]
            found_v.append(hit.astype(np.int64))
            found_z.append(np.full(len(hit), z, dtype=np.int64))
        return np.concatenate(found_v), np.concatenate(found_z)


def _empty() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _middle(low: FloatArray, high: FloatArray) -> float:
    if not len(low):
        return 0.0
    return float((low.min() + high.max()) / 2)


def _is_small(
    shapes: Sequence[ZoneShape], geoms: NDArray[np.object_], bounds: FloatArray, m_lon: float
) -> NDArray[np.bool_]:
    if not len(shapes):
        return np.zeros(0, dtype=bool)
    width = (bounds[:, 2] - bounds[:, 0]) * m_lon
    span = np.maximum(width, (bounds[:, 3] - bounds[:, 1]) * METRES_PER_DEGREE)
    vertices = shapely.get_num_coordinates(geoms)
    disc = np.array([s.is_disc for s in shapes], dtype=bool)
    small: NDArray[np.bool_] = (span <= SMALL_MAX_SPAN_M) & (
        disc | (vertices <= SMALL_MAX_VERTICES)
    )
    return small
