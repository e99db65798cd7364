"""Maps of the operator's report: put in order by zone, violations and clutter by place.

Each map is a :class:`~tartip.reports.report_model.Map`: the city's district outlines as the
base and one layer of places (zones, hexagons) with a value each. The values are never counted
twice: the zone map reads the section's own "put in order by zone" table, and the violation maps
bin the same rows the section's figures count, so a map always agrees with its table.

``layout`` projects a map to the page (equirectangular around the map's centre: across a city
its error is far below a line's width) and classes its values; the web page (inline SVG) and
the PDF (reportlab drawing) both draw that layout, so they show the same picture. No tiles are
fetched: the districts are the only base, and the map works offline.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import districts as cities_districts
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.geo import METRES_PER_DEGREE
from tartip.reports.dashboards_hex import HexGrid
from tartip.reports.report_model import (
    Figure,
    Map,
    MapFeature,
    MapLayer,
    Records,
    ReportPeriod,
    Section,
    Unit,
)
from tartip.zones.models import Zone

# Hexagons of 1 km (centre to corner): a city of ~30 km shows as a few hundred cells on A4.
HEX_M = 1000
# Outlines are simplified to ~50 m and rounded to ~1 m: enough for a printed city map, and the
# issued report's snapshot stays small.
SIMPLIFY_DEG = 0.0005
DIGITS = 5
# Five classes, light to dark (ColorBrewer "Oranges", readable in print and colour-blind safe).
CLASS_COLOURS = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
EMPTY_FILL = "#f6f8fa"
BASE_STROKE = "#6e7781"

ZONE_MAP_NOTE = "Work not done in a zone is not on the map"
HEX_NOTE = "Hexagons of 1 km across the city, by where the violation was detected"


# --- building the maps -----------------------------------------------------------------------


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), DIGITS) for c in coords]
    return [_rounded(c) for c in coords]


def geojson(geometry: BaseGeometry, *, simplify: bool = True) -> dict[str, Any]:
    """A polygonal geometry as GeoJSON, simplified for print and rounded to ~1 m."""
    shape = geometry.simplify(SIMPLIFY_DEG, preserve_topology=True) if simplify else geometry
    found = mapping(shape)
    return {"type": found["type"], "coordinates": _rounded(found["coordinates"])}


def district_base(db: Session, *, city_id: int) -> tuple[MapFeature, ...]:
    """The city's district outlines (the base of every report map), by name."""
    return tuple(
        MapFeature(
            key=d.code,
            name=d.name,
            geometry=geojson(d.geometry),
            names=tuple((loc, n) for loc, n in (("ru", d.name_ru), ("kk", d.name_kk)) if n),
        )
        for d in cities_districts.list_districts(db, city_id=city_id)
    )


def with_zone_map(db: Session, *, scope: Scope, section: Section) -> Section:
    """The "put in order" section with its map by zone, read from its own by-zone table."""
    table = next(t for t in section.tables if t.key == "put_in_order.by_zone")
    counts: dict[int, tuple[int, Records | None]] = {}
    for row in table.rows:
        link = row.link("count")
        zone = dict(link.params).get("zone") if link else None
        if zone is not None and zone.isdigit() and isinstance(row.cells[1], int):
            counts[int(zone)] = (row.cells[1], link)
    areas = db.execute(
        select(Zone.id, Zone.name, Zone.area).where(
            Zone.city_id == scope.city_id, Zone.id.in_(list(counts))
        )
    ).all()
    features = tuple(
        MapFeature(
            key=str(zid), name=name, geometry=geojson(area), value=counts[zid][0],
            records=counts[zid][1],
        )
        for zid, name, area in sorted(areas, key=lambda a: (-counts[a[0]][0], a[1]))
    )  # fmt: skip
    zone_map = Map(
        key="put_in_order.map",
        title="Put in order by zone",
        layer=MapLayer("put_in_order", "Scooters put in order", Unit.vehicles, features),
        base=district_base(db, city_id=scope.city_id),
        note=ZONE_MAP_NOTE,
    )
    return dataclasses.replace(section, maps=(*section.maps, zone_map))


def _hex_features(grid: HexGrid, lons: np.ndarray, lats: np.ndarray) -> tuple[MapFeature, ...]:
    return tuple(
        MapFeature(
            key=f"{b.q},{b.r}",
            name=f"{b.centre[1]:.4f}, {b.centre[0]:.4f}",  # the centre as "lat, lon"
            geometry={"type": "Polygon", "coordinates": [[list(p) for p in b.ring]]},
            value=b.count,
        )
        for b in grid.bin(lons, lats)
    )


def violations(db: Session, *, scope: Scope, city: City, period: ReportPeriod) -> Section:
    """Violations opened in the period: how many, how many were clutter, and where (maps)."""
    rows = db.execute(
        select(Violation.lon, Violation.lat, Violation.kind).where(
            Violation.city_id == scope.city_id,
            Violation.opened_at >= period.start,
            Violation.opened_at < period.end,
        )
    ).all()
    lons = np.array([r.lon for r in rows], dtype=np.float64)
    lats = np.array([r.lat for r in rows], dtype=np.float64)
    clutter = np.array([r.kind == ViolationKind.clutter for r in rows], dtype=bool)
    grid = HexGrid(city.center_lon, city.center_lat, float(HEX_M))
    base = district_base(db, city_id=scope.city_id)
    return Section(
        key="violations",
        title="Violations and clutter",
        note="Violations detected from the companies' feeds, counted when they opened",
        figures=(
            Figure("violations.opened", "Violations opened", len(rows), Unit.number,
                   records=Records.of("violations", period)),
            Figure("violations.clutter", "Of them clutter", int(clutter.sum()), Unit.number,
                   records=Records.of("violations", period, kind=ViolationKind.clutter.value)),
        ),
        maps=(
            Map("violations.map", "Violations by place",
                MapLayer("violations", "Violations opened", Unit.number,
                         _hex_features(grid, lons, lats)),
                base=base, note=HEX_NOTE),
            Map("violations.clutter_map", "Clutter by place",
                MapLayer("clutter", "Clutter", Unit.number,
                         _hex_features(grid, lons[clutter], lats[clutter])),
                base=base, note=HEX_NOTE),
        ),
    )  # fmt: skip


# --- drawing: one layout for the page and the PDF --------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One feature projected to the drawing: its rings (y grows downwards) and its fill."""

    rings: tuple[tuple[tuple[float, float], ...], ...]  # the exterior first, then any holes
    fill: str | None  # None: an outline only
    title: str  # hover text: name and value

    @property
    def path(self) -> str:
        """The rings as an SVG path (drawn with ``fill-rule="evenodd"`` for holes)."""
        return " ".join(
            "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z" for ring in self.rings
        )


@dataclass(frozen=True)
class LegendClass:
    """One class of values: its colour and the range it covers (``low`` < value <= ``high``)."""

    colour: str
    low: float
    high: float


@dataclass(frozen=True)
class MapLayout:
    """Everything a renderer draws for one map, in drawing units (SVG pixels or PDF points)."""

    width: float
    height: float
    base: tuple[Shape, ...]
    shapes: tuple[Shape, ...]
    classes: tuple[LegendClass, ...]
    scale_length: float  # the scale bar's length in drawing units
    scale_metres: int  # what it stands for
    empty: bool  # no value to draw


def nice_top(peak: float) -> float:
    """A round top at or above ``peak`` (1, 2, 2.5 or 5 times a power of ten; at least 5)."""
    if peak <= 5:
        return 5.0
    power = 10.0 ** math.floor(math.log10(peak))
    return next(s * power for s in (1.0, 2.0, 2.5, 5.0, 10.0) if peak <= s * power)


def classes(peak: float) -> tuple[LegendClass, ...]:
    """Five equal classes from 0 up to a round top at or above ``peak``."""
    top = nice_top(peak)
    n = len(CLASS_COLOURS)
    return tuple(
        LegendClass(c, top * i / n, top * (i + 1) / n) for i, c in enumerate(CLASS_COLOURS)
    )


def colour(value: float | None, found: Sequence[LegendClass]) -> str:
    """The fill of ``value``: its class's colour; no value or 0 is drawn empty."""
    if not value or value <= 0:
        return EMPTY_FILL
    return next((c.colour for c in found if value <= c.high), found[-1].colour)


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []  # a map layer holds areas only


def _points(features: Iterable[MapFeature]) -> Iterable[list[float]]:
    for f in features:
        for polygon in _polygons(f.geometry):
            yield from polygon[0]


def _nice_metres(metres: float) -> int:
    """The largest 1, 2 or 5 times a power of ten at or below ``metres`` (at least 1)."""
    if metres < 1:
        return 1
    power = 10 ** math.floor(math.log10(metres))
    return int(max(s * power for s in (1, 2, 5) if s * power <= metres))


def layout(m: Map, *, width: float, max_height: float, locale: str = "en") -> MapLayout:
    """Project ``m`` into ``width`` × at most ``max_height``, north up, and class its values."""
    found = classes(m.layer.peak)
    points = np.array(list(_points((*m.base, *m.layer.features))), dtype=np.float64)
    if points.size == 0:
        return MapLayout(width, 0.0, (), (), found, 0.0, 0, True)
    west, south = points.min(axis=0)
    east, north = points.max(axis=0)
    kx = math.cos(math.radians((south + north) / 2))  # a degree of longitude is shorter
    span_x = max((east - west) * kx, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min(width / span_x, max_height / span_y)  # drawing units per degree of latitude
    height = span_y * scale

    def shape(f: MapFeature, fill: str | None, title: str) -> Shape:
        rings = tuple(
            tuple(((lon - west) * kx * scale, (north - lat) * scale) for lon, lat, *_ in ring)
            for polygon in _polygons(f.geometry)
            for ring in polygon
        )
        return Shape(rings, fill, title)

    base = tuple(shape(f, None, f.label(locale)) for f in m.base)
    shapes = tuple(
        shape(f, colour(f.value, found), f"{f.label(locale)}: {f.value:g}" if f.value else "")
        for f in sorted(m.layer.features, key=lambda f: f.value or 0)  # the fullest on top
    )
    metres = _nice_metres(width / 5 / scale * METRES_PER_DEGREE)
    return MapLayout(
        width=width,
        height=height,
        base=base,
        shapes=shapes,
        classes=found,
        scale_length=metres / METRES_PER_DEGREE * scale,
        scale_metres=metres,
        empty=not m.layer.features,
    )
