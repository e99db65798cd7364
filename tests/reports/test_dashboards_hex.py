"""Hexagonal bins: every point lands in the hexagon whose centre is nearest (pure geometry)."""

from __future__ import annotations

import math

import numpy as np

from tartip.core.geo import METRES_PER_DEGREE
from tartip.reports.dashboards_hex import HexGrid

GRID = HexGrid(lon0=76.9, lat0=43.25, size_m=250.0)
KX = METRES_PER_DEGREE * math.cos(math.radians(43.25))


def metres(lon: float, lat: float) -> tuple[float, float]:
    """A place in metres from the grid's origin."""
    return ((lon - GRID.lon0) * KX, (lat - GRID.lat0) * METRES_PER_DEGREE)


def test_every_point_lands_in_the_hexagon_with_the_nearest_centre():
    rng = np.random.default_rng(7)
    lons = GRID.lon0 + rng.uniform(-0.05, 0.05, 2000)
    lats = GRID.lat0 + rng.uniform(-0.05, 0.05, 2000)
    q, r = GRID.cells(lons, lats)
    for lon, lat, cq, cr in zip(lons, lats, q.tolist(), r.tolist(), strict=True):
        x, y = metres(lon, lat)
        own = math.dist((x, y), metres(*GRID.centre(cq, cr)))
        # The six neighbours' centres are never nearer than the chosen one.
        for dq, dr in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)):
            assert own <= math.dist((x, y), metres(*GRID.centre(cq + dq, cr + dr))) + 1e-6
        assert own <= GRID.size_m + 1e-6


def test_neighbouring_centres_are_a_hexagon_width_apart_and_rings_are_closed():
    width = math.dist(metres(*GRID.centre(0, 0)), metres(*GRID.centre(1, 0)))
    assert abs(width - math.sqrt(3) * 250) < 0.01
    ring = GRID.ring(2, -3)
    assert len(ring) == 7 and ring[0] == ring[-1]
    xy = [metres(*p) for p in ring]
    area = 0.5 * abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(xy, xy[1:], strict=False)))
    assert abs(area - 3 * math.sqrt(3) / 2 * 250**2) / area < 1e-3


def test_bins_count_points_fullest_first():
    lons = np.array([76.9, 76.9001, 76.95, 77.0, 76.9])
    lats = np.array([43.25, 43.2501, 43.25, 43.30, 43.25])
    bins = GRID.bin(lons, lats)
    assert [b.count for b in bins] == [3, 1, 1]
    assert (bins[0].q, bins[0].r) == (0, 0)
    assert GRID.bin(np.array([]), np.array([])) == []
