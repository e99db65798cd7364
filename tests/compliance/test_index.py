"""The spatial join: exact on boundaries, the same for small and large zones, discs by distance."""

from __future__ import annotations

import numpy as np
import shapely

from tartip.compliance.index import ZoneIndex, ZoneShape
from tartip.core.geo import METRES_PER_DEGREE
from tests.compliance.synthetic import (
    KX,
    LAT0,
    LON0,
    city_fleet,
    city_rules,
    many_vertices,
    offset,
    square,
)

CENTRE = (76.93, 43.25)


def _pairs(index: ZoneIndex, points: list[tuple[float, float]]) -> set[tuple[int, int]]:
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    vi, zi = index.join(lon, lat)
    return set(zip(vi.tolist(), zi.tolist(), strict=True))


def test_a_vehicle_exactly_on_a_zone_boundary_is_inside_it():
    small = square(*CENTRE, 20)
    large = shapely.box(76.90, 43.24, 76.96, 43.27)  # 4 vertices but kilometres wide: large
    index = ZoneIndex([ZoneShape(small), ZoneShape(large)])
    assert index.large_ids.tolist() == [1] and index.small_ids.tolist() == [0]
    x0, y0, x1, y1 = small.bounds
    points = [
        (x0, CENTRE[1]),  # on the small square's west edge
        (x1, y1),  # on its north-east corner
        (76.90, 43.25),  # on the large box's west edge
        (76.93, 43.27),  # on its north edge
        (x0 - 1e-7, CENTRE[1]),  # a centimetre outside the small square (inside the large one)
        (76.90 - 1e-7, 43.25),  # a centimetre outside the large box
    ]
    assert _pairs(index, points) == {(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (3, 1), (4, 1)}


def test_a_disc_counts_by_distance_with_its_rim_inside():
    lon, lat = CENTRE
    index = ZoneIndex([ZoneShape(square(lon, lat, 20), centre=(lon, lat), radius_m=10.0)])
    inside = offset(lon, lat, 0, 9.999)
    outside = offset(lon, lat, 0, 10.001)
    corner = offset(lon, lat, 9, 9)  # inside the square around it, but 12.7 m from the centre
    assert _pairs(index, [inside, outside, corner]) == {(0, 0)}


def test_small_and_large_paths_agree_with_a_plain_test_of_every_zone():
    rules = city_rules(2_000, 6, seed=3)
    fleet = city_fleet(5_000, rules, at=0.0, seed=5)
    index = ZoneIndex([ZoneShape(r.geometry, r.point, r.radius_m) for r in rules])
    vi, zi = index.join(fleet.lon, fleet.lat)
    got = set(zip(vi.tolist(), zi.tolist(), strict=True))
    want = set()
    for z, r in enumerate(rules):
        if r.point is not None and r.radius_m is not None:
            dx = (fleet.lon - r.point[0]) * METRES_PER_DEGREE * np.cos(np.radians(r.point[1]))
            dy = (fleet.lat - r.point[1]) * METRES_PER_DEGREE
            hits = np.flatnonzero(dx * dx + dy * dy <= r.radius_m**2)
        else:
            hits = np.flatnonzero(shapely.intersects_xy(r.geometry, fleet.lon, fleet.lat))
        want |= {(int(v), z) for v in hits}
    assert got == want
    assert len(got) > 1000


def test_many_vertex_zones_are_kept_apart_from_the_grid():
    rng = np.random.default_rng(1)
    park = many_vertices(LON0 + 0.1, LAT0 + 0.05, 800, 400, rng)
    tiny_but_detailed = many_vertices(LON0 + 0.2, LAT0 + 0.05, 20, 200, rng)
    index = ZoneIndex(
        [ZoneShape(park), ZoneShape(tiny_but_detailed), ZoneShape(square(*CENTRE, 15))]
    )
    assert index.large_ids.tolist() == [0, 1]
    assert index.small_ids.tolist() == [2]


def test_an_empty_index_and_an_empty_fleet_join_to_nothing():
    vi, zi = ZoneIndex([]).join(np.array([76.9]), np.array([43.2]))
    assert len(vi) == len(zi) == 0
    index = ZoneIndex([ZoneShape(square(*CENTRE, 15))])
    vi, zi = index.join(np.zeros(0), np.zeros(0))
    assert len(vi) == 0
    assert KX > 0
