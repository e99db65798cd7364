"""Where a new slow zone or parking place would help: a plain, explainable rule (no DB).

The city is cut into square cells of ``HotspotRule.cell_m`` metres (a local equirectangular grid:
a metre is a metre to within a fraction of a per cent across a city). In each cell the rule
counts the incidents of the period, those in which someone was hurt, and the clutter recorded
there (violations of parked vehicles: clutter, no-parking, outside a parking place). Then:

- **slow zone** when a cell has at least ``slow_min_incidents`` incidents, at least
  ``slow_min_injuries`` of them with an injury, and its centre lies in no slow or no-ride zone in
  force: riders crash there repeatedly at whatever speed the company's app allows;
- **parking place** when a cell has at least ``parking_min_clutter`` clutter records and at least
  ``parking_min_incidents`` incidents, and no parking place touches it: vehicles are left
  scattered where people get hurt, and a place to leave them would gather them.

A cell can get both. Nothing is weighted or learned, so a supervisor can check each suggestion by
hand from the counts it shows; the thresholds are printed beside the map.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from shapely import box
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from tartip.core.geo import METRES_PER_DEGREE


class Action(StrEnum):
    """What a suggestion proposes."""

    slow_zone = "slow_zone"
    parking = "parking"


@dataclass(frozen=True)
class HotspotRule:
    """The thresholds of the rule; the defaults suit a city's month to year of records."""

    cell_m: float = 150.0
    slow_min_incidents: int = 3
    slow_min_injuries: int = 1
    parking_min_clutter: int = 5
    parking_min_incidents: int = 2

    def as_dict(self) -> dict[str, float | int]:
        """The thresholds, as printed beside the map and given by the API."""
        return asdict(self)


@dataclass(frozen=True)
class Spot:
    """An incident's place and whether someone was hurt."""

    lon: float
    lat: float
    injury: bool = False


@dataclass(frozen=True)
class Grid:
    """Square cells of ``cell_m`` metres, with longitudes scaled at ``ref_lat``."""

    cell_m: float
    ref_lat: float

    @property
    def _dlat(self) -> float:
        return self.cell_m / METRES_PER_DEGREE

    @property
    def _dlon(self) -> float:
        return self.cell_m / (METRES_PER_DEGREE * math.cos(math.radians(self.ref_lat)))

    def cell_of(self, lon: float, lat: float) -> tuple[int, int]:
        """The cell a point falls in."""
        return math.floor(lon / self._dlon), math.floor(lat / self._dlat)

    def bounds(self, cell: tuple[int, int]) -> tuple[float, float, float, float]:
        """A cell's south, west, north and east edges."""
        x, y = cell
        return y * self._dlat, x * self._dlon, (y + 1) * self._dlat, (x + 1) * self._dlon

    def geometry(self, cell: tuple[int, int]) -> BaseGeometry:
        """A cell as a polygon (lon/lat)."""
        south, west, north, east = self.bounds(cell)
        return box(west, south, east, north)


@dataclass(frozen=True)
class Suggestion:
    """One place where the rule proposes an action, with the counts that made it."""

    action: Action
    cell: tuple[int, int]
    bounds: tuple[float, float, float, float]
    incidents: int
    injuries: int
    clutter: int

    @property
    def centre(self) -> tuple[float, float]:
        """The cell's centre (lon, lat)."""
        south, west, north, east = self.bounds
        return (west + east) / 2, (south + north) / 2

    def reason(self) -> str:
        """Why, in plain words (English; pages translate their own sentence)."""
        if self.action is Action.slow_zone:
            return (
                f"{self.incidents} incidents here, {self.injuries} with injuries, "
                "and no slow or no-ride zone covers the place"
            )
        return (
            f"{self.clutter} clutter records and {self.incidents} incidents here, "
            "and no parking place nearby"
        )


def _covered(point: Point, areas: Sequence[BaseGeometry]) -> bool:
    return any(area.covers(point) for area in areas)


def _touched(cell: BaseGeometry, areas: Sequence[BaseGeometry]) -> bool:
    return any(area.intersects(cell) for area in areas)


def suggest(
    spots: Iterable[Spot],
    clutter: Iterable[tuple[float, float]],
    *,
    slow_areas: Sequence[BaseGeometry],
    parking_areas: Sequence[BaseGeometry],
    ref_lat: float,
    rule: HotspotRule = HotspotRule(),  # noqa: B008 - frozen, never changed
) -> list[Suggestion]:
    """The suggestions of ``rule`` for these incidents and clutter records, worst places first."""
    grid = Grid(rule.cell_m, ref_lat)
    incidents: Counter[tuple[int, int]] = Counter()
    injuries: Counter[tuple[int, int]] = Counter()
    for spot in spots:
        cell = grid.cell_of(spot.lon, spot.lat)
        incidents[cell] += 1
        injuries[cell] += int(spot.injury)
    mess = Counter(grid.cell_of(lon, lat) for lon, lat in clutter)
    found: list[Suggestion] = []
    for cell in sorted(incidents):
        counts = (incidents[cell], injuries[cell], mess[cell])
        south, west, north, east = grid.bounds(cell)
        centre = Point((west + east) / 2, (south + north) / 2)
        if (
            counts[0] >= rule.slow_min_incidents
            and counts[1] >= rule.slow_min_injuries
            and not _covered(centre, slow_areas)
        ):
            found.append(Suggestion(Action.slow_zone, cell, grid.bounds(cell), *counts))
        if (
            counts[2] >= rule.parking_min_clutter
            and counts[0] >= rule.parking_min_incidents
            and not _touched(grid.geometry(cell), parking_areas)
        ):
            found.append(Suggestion(Action.parking, cell, grid.bounds(cell), *counts))
    found.sort(key=lambda s: (-s.injuries, -s.incidents, -s.clutter, s.cell))
    return found


def clutter_cells(
    clutter: Iterable[tuple[float, float]], *, ref_lat: float, cell_m: float
) -> list[tuple[tuple[float, float, float, float], int]]:
    """Clutter records counted per cell (bounds, count): the clutter layer of the map."""
    grid = Grid(cell_m, ref_lat)
    counts = Counter(grid.cell_of(lon, lat) for lon, lat in clutter)
    return [(grid.bounds(cell), n) for cell, n in sorted(counts.items())]
