"""Almaty: real places and 2023 rules, and three companies named after the city's partners."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np

from tartip.core.geo import geometry_from_geojson
from tartip.simulator.places import (
    PlaceGroup,
    PlaceSpec,
    build_places,
    read_districts,
    read_features,
    read_zones,
)
from tartip.simulator.scenario import BatteryService, CompanySpec, Scenario

CITY = "almaty"
TIMEZONE = "Asia/Almaty"
# About 100,000 trips a day with ~30,000 scooters (mobility department, 2022 and 2025).
TRIPS_PER_VEHICLE_DAY = 100_000 / 30_000

# Hotspot categories of poi/almaty_scooter_pois.geojson: (group, attraction weight, radius m).
# A bus stop weighs 1; the weights make hotspots and metro draw about a third of all trips.
POI_CATEGORIES: dict[str, tuple[PlaceGroup, float, float]] = {
    "stadium_events": (PlaceGroup.leisure, 8.0, 120.0),
    "pedestrian_street": (PlaceGroup.leisure, 15.0, 150.0),
    "park": (PlaceGroup.leisure, 12.0, 120.0),
    "landmark": (PlaceGroup.leisure, 8.0, 60.0),
    "square_events": (PlaceGroup.leisure, 10.0, 100.0),
    "square": (PlaceGroup.leisure, 10.0, 80.0),
    "cable_car": (PlaceGroup.leisure, 8.0, 60.0),
    "mall": (PlaceGroup.shopping, 12.0, 100.0),
    "market": (PlaceGroup.shopping, 10.0, 80.0),
    "university": (PlaceGroup.work, 10.0, 80.0),
    "railway_station": (PlaceGroup.transit, 8.0, 80.0),
    "bus_station": (PlaceGroup.transit, 6.0, 60.0),
    "airport": (PlaceGroup.transit, 2.0, 80.0),
}
METRO = (PlaceGroup.transit, 10.0, 40.0)
# Transport points (OSM fclass): stops stand for the homes and offices around them.
TRANSPORT_CLASSES: dict[str, tuple[PlaceGroup, float, float]] = {
    "bus_stop": (PlaceGroup.home, 1.0, 30.0),
    "tram_stop": (PlaceGroup.home, 1.0, 30.0),
    "railway_halt": (PlaceGroup.home, 1.0, 30.0),
    "taxi": (PlaceGroup.home, 0.5, 30.0),
    "bus_station": (PlaceGroup.transit, 3.0, 40.0),
    "railway_station": (PlaceGroup.transit, 3.0, 40.0),
}

COMPANIES = (
    CompanySpec(
        slug="jet",
        name={"ru": "Jet (симуляция)", "en": "Jet (simulated)"},
        short_name={"ru": "Jet (сим.)", "en": "Jet (sim)"},
        vehicle_type_id="jet-scooter",
        vehicle_name={"ru": "Электросамокат Jet", "en": "Jet e-scooter"},
        max_range_m=45_000.0,
        fleet_share=7.5,
        battery_service=BatteryService.swap,
        station_based=False,
        skipped_zones=frozenset({"noride_terrenkur", "noparking_tulebayev"}),
        unlock_kzt=200.0,
        code_prefix="JT",
        per_minute_kzt=60.0,
    ),
    CompanySpec(
        slug="yandex-go",
        name={"ru": "Яндекс Go (симуляция)", "en": "Yandex Go (simulated)"},
        short_name={"ru": "Яндекс Go (сим.)", "en": "Yandex Go (sim)"},
        vehicle_type_id="yandex-go-scooter",
        vehicle_name={"ru": "Электросамокат Яндекс Go", "en": "Yandex Go e-scooter"},
        max_range_m=45_000.0,
        fleet_share=5.5,
        battery_service=BatteryService.collect,
        station_based=False,
        skipped_zones=frozenset(
            {
                "noride_kbtu_square",
                "noride_terrenkur",
                "slow_panfilov_pedestrian",
                "slow_makatayev_square",
            }
        ),
        unlock_kzt=250.0,
        code_prefix="YG",
        per_minute_kzt=50.0,
    ),
    CompanySpec(
        slug="whoosh",
        name={"ru": "Whoosh (симуляция)", "en": "Whoosh (simulated)"},
        short_name={"ru": "Whoosh (сим.)", "en": "Whoosh (sim)"},
        vehicle_type_id="whoosh-scooter",
        vehicle_name={"ru": "Электросамокат Whoosh", "en": "Whoosh e-scooter"},
        max_range_m=60_000.0,
        fleet_share=6.0,
        battery_service=BatteryService.swap,
        station_based=True,
        skipped_zones=frozenset(),
        unlock_kzt=150.0,
        code_prefix="WH",
        per_minute_kzt=55.0,
    ),
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _poi_places() -> list[PlaceSpec]:
    specs = []
    for feature in read_features("almaty", "poi", "almaty_scooter_pois.geojson"):
        props: dict[str, Any] = feature["properties"]
        if props["category"] == "metro_station":
            continue  # metro comes from the transit file, which has Russian names
        group, weight, radius = POI_CATEGORIES[props["category"]]
        lon, lat = feature["geometry"]["coordinates"][:2]
        local = str(props.get("name_local") or props["name_en"])
        specs.append(
            PlaceSpec(
                key=props["id"].replace("_", "-"),
                # "Орталық стадион / Центральный стадион": keep the Russian half. Some
                # places have only a Kazakh local name, which stays as it is.
                name_local=local.split(" / ")[-1],
                name_en=props["name_en"],
                group=group,
                weight=weight,
                radius_m=radius,
                hotspot=True,
                lon=lon,
                lat=lat,
            )
        )
    return specs


def _metro_places() -> list[PlaceSpec]:
    group, weight, radius = METRO
    specs = []
    for feature in read_features("almaty", "transit", "almaty_metro_stations.geojson"):
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        specs.append(
            PlaceSpec(
                key="metro-" + _slug(props["name_en"]),
                name_local="Метро " + props["name_ru"],
                name_en=props["name_en"] + " metro",
                group=group,
                weight=weight,
                radius_m=radius,
                hotspot=True,
                lon=lon,
                lat=lat,
            )
        )
    return specs


def _transport_places() -> list[PlaceSpec]:
    specs = []
    for feature in read_features("almaty", "transit", "almaty_transport_points_osm_2024.geojson"):
        props = feature["properties"]
        if props["fclass"] not in TRANSPORT_CLASSES:
            continue
        group, weight, radius = TRANSPORT_CLASSES[props["fclass"]]
        lon, lat = feature["geometry"]["coordinates"][:2]
        name = props.get("name")
        specs.append(
            PlaceSpec(
                key=f"osm-{props['osm_id']}",
                name_local=f"Остановка «{name}»" if name else "",
                name_en=f"Stop “{name}”" if name else "",
                group=group,
                weight=weight,
                radius_m=radius,
                hotspot=False,
                lon=lon,
                lat=lat,
            )
        )
    return specs


@cache
def almaty_scenario() -> Scenario:
    """The Almaty scenario: loaded once per process from ``tartip/data/almaty``."""
    boundary_feature = read_features("almaty", "boundaries", "almaty_city_boundary.geojson")[0]
    boundary = geometry_from_geojson(boundary_feature["geometry"])
    districts = read_districts("almaty", "boundaries", "almaty_districts.geojson")
    specs = _poi_places() + _metro_places() + _transport_places()
    places, plane = build_places(specs, boundary=boundary, districts=districts)
    named = np.array([bool(name) for name in places.names_local], dtype=np.bool_)
    return Scenario(
        city=CITY,
        timezone=TIMEZONE,
        boundary=boundary,
        plane=plane,
        places=places,
        zones=read_zones("almaty", "micromobility", "almaty_scooter_zones_2023.geojson"),
        districts=districts,
        companies=COMPANIES,
        station_places=places.hotspot | named,
        trips_per_vehicle_day=TRIPS_PER_VEHICLE_DAY,
    )
