"""Synthetic zones and fleets in Almaty's extent for tests and benchmarks (seeded)."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tartip.compliance.snapshot import FleetSnapshot
from tartip.core.geo import METRES_PER_DEGREE
from tartip.zones.enums import ZoneKind
from tartip.zones.geometry import disc
from tartip.zones.rules import Schedule, ZoneRule

LON0, LAT0 = 76.80, 43.18  # south-west corner of a 30 × 20 km box over Almaty
WIDTH_M, HEIGHT_M = 30_000.0, 20_000.0
KX = METRES_PER_DEGREE * math.cos(math.radians(LAT0 + 0.09))
TZ = "Asia/Almaty"


def offset(lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    """The point ``dx_m`` east and ``dy_m`` north of (lon, lat)."""
    east = METRES_PER_DEGREE * math.cos(math.radians(lat))
    return lon + dx_m / east, lat + dy_m / METRES_PER_DEGREE


def square(lon: float, lat: float, half_m: float) -> Polygon:
    """An axis-aligned square of side 2 × ``half_m`` centred on (lon, lat)."""
    x0, y0 = offset(lon, lat, -half_m, -half_m)
    x1, y1 = offset(lon, lat, half_m, half_m)
    return shapely.box(x0, y0, x1, y1)


def rule(
    zone_id: int,
    kind: ZoneKind,
    geometry: BaseGeometry,
    *,
    schedule: Schedule | None = None,
    version: int = 1,
    **values: object,
) -> ZoneRule:
    """A published zone version as the zones domain hands it to detection."""
    return ZoneRule(
        zone_id=zone_id,
        version=version,
        version_uid=f"uid-{zone_id}-{version}",
        city_id=1,
        kind=kind,
        name=f"zone {zone_id}",
        code=None,
        geometry=geometry,
        timezone=TZ,
        schedule=schedule,
        **values,  # type: ignore[arg-type]
    )


def disc_rule(
    zone_id: int, kind: ZoneKind, lon: float, lat: float, radius_m: float, **values: object
) -> ZoneRule:
    """A point-with-radius zone (a small parking place)."""
    return rule(
        zone_id, kind, disc(lon, lat, radius_m), point=(lon, lat), radius_m=radius_m, **values
    )


def many_vertices(
    lon: float, lat: float, radius_m: float, vertices: int, rng: np.random.Generator
) -> Polygon:
    """A wavy polygon with ``vertices`` vertices (a park's outline)."""
    a = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = radius_m * (1 + 0.25 * np.sin(5 * a + rng.random() * 6))
    xs = lon + r * np.cos(a) / KX
    ys = lat + r * np.sin(a) / METRES_PER_DEGREE
    return Polygon(np.c_[xs, ys])


def small_polygon(lon: float, lat: float, rng: np.random.Generator) -> Polygon:
    """A parking-place-sized polygon: 4–8 vertices, 20–60 m across."""
    k = int(rng.integers(4, 9))
    r = rng.uniform(10, 30)
    a = np.sort(rng.random(k)) * 2 * np.pi
    return Polygon(np.c_[lon + r * np.cos(a) / KX, lat + r * np.sin(a) / METRES_PER_DEGREE])


def city_rules(small: int, large: int, *, seed: int = 7) -> list[ZoneRule]:
    """``small`` parking places (a fifth of them discs) and ``large`` many-vertex zones."""
    rng = np.random.default_rng(seed)
    rules: list[ZoneRule] = []
    xs = LON0 + rng.random(small) * WIDTH_M / KX
    ys = LAT0 + rng.random(small) * HEIGHT_M / METRES_PER_DEGREE
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i % 5 == 0:
            rules.append(disc_rule(i + 1, ZoneKind.parking, float(x), float(y), 12.0, capacity=8))
        elif i % 50 == 1:
            rules.append(rule(i + 1, ZoneKind.no_parking, small_polygon(x, y, rng)))
        else:
            rules.append(rule(i + 1, ZoneKind.parking, small_polygon(x, y, rng), capacity=10))
    large_kinds = (ZoneKind.no_ride, ZoneKind.slow, ZoneKind.duty, ZoneKind.no_parking)
    for j in range(large):
        x = LON0 + rng.random() * WIDTH_M / KX
        y = LAT0 + rng.random() * HEIGHT_M / METRES_PER_DEGREE
        geom = many_vertices(x, y, rng.uniform(300, 1500), int(rng.integers(64, 1001)), rng)
        kind = large_kinds[j % len(large_kinds)]
        extra: dict[str, object] = {"target_load": 150} if kind is ZoneKind.duty else {}
        rules.append(rule(small + j + 1, kind, geom, **extra))
    box = shapely.box(LON0, LAT0, LON0 + WIDTH_M / KX, LAT0 + HEIGHT_M / METRES_PER_DEGREE)
    rules.append(rule(small + large + 1, ZoneKind.service_area, box))
    return rules


def city_fleet(n: int, rules: list[ZoneRule], *, at: float, seed: int = 11) -> FleetSnapshot:
    """``n`` vehicles of three companies: half parked at parking places, the rest anywhere."""
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.random(n) * WIDTH_M / KX
    lat = LAT0 + rng.random(n) * HEIGHT_M / METRES_PER_DEGREE
    parking = [r for r in rules if r.kind is ZoneKind.parking]
    if parking:
        centres = shapely.centroid(np.array([r.geometry for r in parking], dtype=object))
        pick = rng.integers(0, len(parking), n // 2)
        lon[: n // 2] = shapely.get_x(centres[pick]) + rng.normal(0, 4, n // 2) / KX
        lat[: n // 2] = shapely.get_y(centres[pick]) + rng.normal(0, 4, n // 2) / METRES_PER_DEGREE
    status = np.where(rng.random(n) < 0.05, 2, 0)
    parked_since = at - rng.exponential(6 * 3600, n)
    disabled_since = np.where(status == 2, parked_since, np.nan)
    return FleetSnapshot.build(
        at=at,
        lon=lon,
        lat=lat,
        company=rng.integers(1, 4, n),
        status=status,
        parked_since=parked_since,
        disabled_since=disabled_since,
        company_slugs={1: "jet", 2: "yandex-go", 3: "whoosh"},
    )
