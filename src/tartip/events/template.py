"""The default temporary zones around a venue: pure geometry, no database.

A no-parking perimeter keeps the crowd's paths clear, three parking hubs just outside it take the
scooters, and a wider slow zone protects people walking to and from the venue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tartip.core.geo import EARTH_RADIUS_M, geometry_to_geojson
from tartip.events.enums import EventZoneRole
from tartip.zones.enums import ZoneKind
from tartip.zones.geometry import disc

PERIMETER_M = 300.0
SLOW_M = 600.0
SLOW_KPH = 10
HUB_DISTANCE_M = 400.0
HUB_RADIUS_M = 25.0
HUB_CAPACITY = 60
HUB_BEARINGS = (30.0, 150.0, 270.0)


@dataclass(frozen=True)
class TemplateZone:
    """One zone of the template: its role at the event and the fields of a ``ZoneCreate``."""

    role: EventZoneRole
    fields: dict[str, Any]


def offset(lon: float, lat: float, *, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` from ``(lon, lat)`` towards ``bearing_deg`` (0 = north)."""
    dlat = distance_m * math.cos(math.radians(bearing_deg)) / EARTH_RADIUS_M
    dlon = (
        distance_m
        * math.sin(math.radians(bearing_deg))
        / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    )
    return round(lon + math.degrees(dlon), 7), round(lat + math.degrees(dlat), 7)


def template_zones(*, name: str, code: str, lon: float, lat: float) -> list[TemplateZone]:
    """The default zones of an event at ``(lon, lat)``; codes start with ``code``."""
    zones = [
        TemplateZone(
            EventZoneRole.perimeter,
            {
                "kind": ZoneKind.no_parking,
                "name": f"{name}: no-parking perimeter",
                "code": f"{code}-PERIMETER",
                "geometry": geometry_to_geojson(disc(lon, lat, PERIMETER_M)),
            },
        ),
        TemplateZone(
            EventZoneRole.slow,
            {
                "kind": ZoneKind.slow,
                "name": f"{name}: slow zone",
                "code": f"{code}-SLOW",
                "speed_limit_kph": SLOW_KPH,
                "geometry": geometry_to_geojson(disc(lon, lat, SLOW_M)),
            },
        ),
    ]
    for n, bearing in enumerate(HUB_BEARINGS, start=1):
        hub_lon, hub_lat = offset(lon, lat, bearing_deg=bearing, distance_m=HUB_DISTANCE_M)
        zones.append(
            TemplateZone(
                EventZoneRole.hub,
                {
                    "kind": ZoneKind.parking,
                    "name": f"{name}: parking hub {n}",
                    "code": f"{code}-HUB{n}",
                    "capacity": HUB_CAPACITY,
                    "radius_m": HUB_RADIUS_M,
                    "geometry": {"type": "Point", "coordinates": [hub_lon, hub_lat]},
                },
            )
        )
    return zones
