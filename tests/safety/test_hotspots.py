"""The suggestion rule, by hand: which cells get a slow zone or a parking place, and which not."""

from __future__ import annotations

from shapely import box

from tartip.core.geo import METRES_PER_DEGREE
from tartip.safety.hotspots import Action, Grid, HotspotRule, Spot, clutter_cells, suggest

REF_LAT = 43.24
GRID = Grid(150.0, REF_LAT)
# A point well inside one 150 m cell, and a second cell far away.
HERE = (76.9450, 43.2380)
THERE = (76.9000, 43.2000)


def centre_of(lon: float, lat: float) -> tuple[float, float]:
    south, west, north, east = GRID.bounds(GRID.cell_of(lon, lat))
    return (west + east) / 2, (south + north) / 2


def spots_near(lon: float, lat: float, n: int, injuries: int) -> list[Spot]:
    cx, cy = centre_of(lon, lat)
    # Scattered a few metres around the cell's centre, all inside the cell.
    return [Spot(cx + i * 1e-5, cy - i * 1e-5, injury=i < injuries) for i in range(n)]


def test_three_incidents_with_an_injury_and_no_slow_zone_suggest_one():
    spots = spots_near(*HERE, 3, 1) + spots_near(*THERE, 2, 2)
    found = suggest(spots, [], slow_areas=[], parking_areas=[], ref_lat=REF_LAT)
    assert [(s.action, s.incidents, s.injuries) for s in found] == [(Action.slow_zone, 3, 1)]
    lon, lat = found[0].centre
    assert GRID.cell_of(lon, lat) == GRID.cell_of(*HERE)
    assert "3 incidents" in found[0].reason()


def test_no_suggestion_without_an_injury_or_inside_a_slow_zone():
    assert (
        suggest(spots_near(*HERE, 4, 0), [], slow_areas=[], parking_areas=[], ref_lat=REF_LAT) == []
    )
    cx, cy = centre_of(*HERE)
    slow = box(cx - 0.01, cy - 0.01, cx + 0.01, cy + 0.01)
    found = suggest(
        spots_near(*HERE, 3, 3), [], slow_areas=[slow], parking_areas=[], ref_lat=REF_LAT
    )
    assert found == []


def test_clutter_with_incidents_and_no_parking_place_suggests_one():
    cx, cy = centre_of(*HERE)
    clutter = [(cx, cy)] * 5 + [(THERE[0], THERE[1])] * 9
    spots = spots_near(*HERE, 2, 0) + spots_near(*THERE, 1, 0)
    found = suggest(spots, clutter, slow_areas=[], parking_areas=[], ref_lat=REF_LAT)
    assert [(s.action, s.clutter, s.incidents) for s in found] == [(Action.parking, 5, 2)]
    parking = box(cx, cy, cx + 0.0001, cy + 0.0001)  # a small hub touching the cell
    assert suggest(spots, clutter, slow_areas=[], parking_areas=[parking], ref_lat=REF_LAT) == []
    strict = HotspotRule(parking_min_clutter=6)
    assert (
        suggest(spots, clutter, slow_areas=[], parking_areas=[], ref_lat=REF_LAT, rule=strict) == []
    )


def test_cells_are_about_the_size_asked_for():
    south, west, north, east = GRID.bounds(GRID.cell_of(*HERE))
    height_m = (north - south) * METRES_PER_DEGREE
    width_m = (east - west) * METRES_PER_DEGREE * 0.7288  # cos(43.24°)
    assert abs(height_m - 150) < 0.01 and abs(width_m - 150) < 0.5
    cells = clutter_cells([HERE, HERE, THERE], ref_lat=REF_LAT, cell_m=150)
    assert sorted(n for _b, n in cells) == [1, 2]
