"""Hexagonal bins for the city view's maps: points counted in pointy-top hexagons of equal area.

Pure geometry, no database. A grid is laid in metres around an origin (the city's centre) with an
equirectangular projection: across a city (tens of kilometres) its error is far below a bin's
size, and it keeps every bin the same shape on the screen. A bin is named by its axial
coordinates ``(q, r)``; the same origin and size always give the same bins, so two maps of the
same city line up cell by cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tartip.core.geo import METRES_PER_DEGREE

SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True)
class HexBin:
    """One hexagon with the count of points that fell in it."""

    q: int
    r: int
    count: int
    centre: tuple[float, float]  # lon, lat
    ring: tuple[tuple[float, float], ...]  # closed: the first corner repeats last


@dataclass(frozen=True)
class HexGrid:
    """Pointy-top hexagons of ``size_m`` (centre to corner) around ``(lon0, lat0)``."""

    lon0: float
    lat0: float
    size_m: float

    @property
    def _kx(self) -> float:
        """Metres per degree of longitude at the origin's latitude."""
        return METRES_PER_DEGREE * math.cos(math.radians(self.lat0))

    def cells(
        self, lons: NDArray[np.float64], lats: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The axial coordinates ``(q, r)`` of the hexagon each point falls in."""
        x = (lons - self.lon0) * self._kx
        y = (lats - self.lat0) * METRES_PER_DEGREE
        q = (SQRT3 / 3 * x - y / 3) / self.size_m
        r = (2 / 3 * y) / self.size_m
        return _round_axial(q, r)

    def centre(self, q: int, r: int) -> tuple[float, float]:
        """The hexagon's centre as ``(lon, lat)``."""
        x = self.size_m * SQRT3 * (q + r / 2)
        y = self.size_m * 1.5 * r
        return (self.lon0 + x / self._kx, self.lat0 + y / METRES_PER_DEGREE)

    def ring(self, q: int, r: int) -> tuple[tuple[float, float], ...]:
        """The hexagon's corners as a closed ring of ``(lon, lat)``, counter-clockwise."""
        cx = self.size_m * SQRT3 * (q + r / 2)
        cy = self.size_m * 1.5 * r
        corners = []
        for k in range(7):  # the seventh closes the ring
            angle = math.radians(60 * (k % 6) + 30)
            x = cx + self.size_m * math.cos(angle)
            y = cy + self.size_m * math.sin(angle)
            corners.append(
                (round(self.lon0 + x / self._kx, 6), round(self.lat0 + y / METRES_PER_DEGREE, 6))
            )
        return tuple(corners)

    def bin(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> list[HexBin]:
        """Count the points per hexagon, the fullest first (then by position: a stable order)."""
        if lons.size == 0:
            return []
        q, r = self.cells(lons, lats)
        pairs, counts = np.unique(np.stack([q, r], axis=1), axis=0, return_counts=True)
        found = [
            HexBin(
                int(cq), int(cr), int(n), self.centre(int(cq), int(cr)), self.ring(int(cq), int(cr))
            )
            for (cq, cr), n in zip(pairs.tolist(), counts.tolist(), strict=True)
        ]
        return sorted(found, key=lambda b: (-b.count, b.q, b.r))


def _round_axial(
    q: NDArray[np.float64], r: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Round fractional axial coordinates to the hexagon that contains them (cube rounding)."""
    s = -q - r
    rq, rr, rs = np.rint(q), np.rint(r), np.rint(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    # The coordinate that moved most is the one to fix, so that q + r + s stays 0.
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    return rq.astype(np.int64), rr.astype(np.int64)
