"""A small synthetic street grid and a small real piece of Almaty for the dispatch tests."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tartip.ops.dispatch.network import RoadNetwork
from tartip.ops.dispatch.network_times import NetworkTravelTimes

ROADS = (
    Path(__file__).resolve().parents[3]
    / "src"
    / "tartip"
    / "data"
    / "almaty"
    / "roads"
    / "almaty_roads_osm_2024.geojson"
)
LON0, LAT0 = 76.90, 43.25
STEP_M = 100.0
# Around the Arbat (Zhibek Zholy pedestrian street), Panfilov Park and the Green Bazaar.
ARBAT_BOX = (76.935, 43.252, 76.960, 43.268)


def grid_point(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of grid coordinates in steps of 100 m from the grid's south-west corner."""
    dx = STEP_M / (111_320 * math.cos(math.radians(LAT0)))
    dy = STEP_M / 110_540
    return (round(LON0 + x * dx, 7), round(LAT0 + y * dy, 7))


def _line(points: list[tuple[float, float]], fclass: str, oneway: str = "B") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"fclass": fclass, "oneway": oneway, "maxspeed": None},
        "geometry": {"type": "LineString", "coordinates": [grid_point(x, y) for x, y in points]},
    }


def grid_geojson() -> dict[str, Any]:
    """A 5 × 5 grid of residential streets 100 m apart.

    Row y=2 is a one-way secondary street drawn west → east; a footway runs diagonally from the
    south-west corner to the north-east one; a short street 4 km east touches nothing else.
    """
    features = []
    for y in range(5):
        cls, oneway = ("secondary", "F") if y == 2 else ("residential", "B")
        features.append(_line([(x, y) for x in range(5)], cls, oneway))
    for x in range(5):
        features.append(_line([(x, y) for y in range(5)], "residential"))
    features.append(_line([(0, 0), (4, 4)], "footway"))
    features.append(_line([(40, 0), (42, 0)], "residential"))
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(scope="session")
def point() -> Callable[[float, float], tuple[float, float]]:
    """Grid coordinates (100 m steps) → (lon, lat)."""
    return grid_point


@pytest.fixture(scope="session")
def grid_doc() -> dict[str, Any]:
    return grid_geojson()


@pytest.fixture(scope="session")
def arbat_box() -> tuple[float, float, float, float]:
    return ARBAT_BOX


@pytest.fixture(scope="session")
def grid_network() -> RoadNetwork:
    return RoadNetwork.from_geojson(json.dumps(grid_geojson()).encode())


@pytest.fixture()
def grid_times(grid_network: RoadNetwork) -> NetworkTravelTimes:
    return NetworkTravelTimes(grid_network)


def _inside(feature: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    geom = feature["geometry"]
    lines = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]
    return all(
        box[0] <= lon <= box[2] and box[1] <= lat <= box[3] for line in lines for lon, lat in line
    )


@pytest.fixture(scope="session")
def arbat_network() -> RoadNetwork:
    """The real OSM network of a ~2 × 1.8 km piece of central Almaty."""
    doc = orjson.loads(ROADS.read_bytes())
    doc["features"] = [f for f in doc["features"] if _inside(f, ARBAT_BOX)]
    return RoadNetwork.from_geojson(orjson.dumps(doc))
