"""GBFS 2.3 and 3.0 documents of the simulated companies, as the bytes a server sends.

Paths are relative to the server root: ``<company>/gbfs/<version>/<feed>.json`` for each company
and ``gbfs/3.0/manifest.json`` once for all. Static feeds carry the simulation's start as
``last_updated`` and never change while it runs (so their ETag holds); status feeds carry the
time of the current tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from tartip.core.geo import geometry_to_geojson
from tartip.simulator.movement import STATION_RADIUS_M
from tartip.simulator.places import METRES_PER_DEGREE_LAT, ZoneRule, as_multipolygon
from tartip.simulator.scenario import CompanySpec, Localized

if TYPE_CHECKING:
    from tartip.simulator.simulation import Simulation, VehicleView

VERSIONS = ("2.3", "3.0")
STATUS_TTL_S = 10
STATIC_TTL_S = 3600
STATUS_FEEDS = frozenset({"free_bike_status", "vehicle_status", "station_status"})
VEHICLE_FEEDS = {"2.3": "free_bike_status", "3.0": "vehicle_status"}
FEED_CONTACT = "tartip-simulator@example.org"
OPERATOR: Localized = {
    "ru": "Симулированные данные для демо Tartip — не настоящие самокаты",
    "en": "Simulated data for the Tartip demo — not real vehicles",
}
# Positions are drawn around OpenStreetMap places: the feeds are a derivative database (ODbL).
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
ODBL_ID = "ODbL-1.0"
OSM_ATTRIBUTION: Localized = {"ru": "Участники OpenStreetMap", "en": "OpenStreetMap contributors"}
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
# Rule zone → GBFS rule. Every 2023 rule forbids parking, so no ride may start or end inside.
RIDE_THROUGH = {ZoneRule.no_ride: False, ZoneRule.slow_zone: True, ZoneRule.no_parking: True}


def _feed_names(company: CompanySpec, version: str) -> list[str]:
    """The feeds a company publishes in ``version``, in discovery order."""
    names = ["system_information", "vehicle_types", "system_pricing_plans"]
    if company.station_based:
        names += ["station_information", "station_status", "system_regions"]
    return [*names, VEHICLE_FEEDS[version], "geofencing_zones", "gbfs_versions"]


def _round6(geom: BaseGeometry) -> BaseGeometry:
    """Coordinates rounded to 6 decimals (~10 cm): smaller documents, no false precision."""
    rounded: BaseGeometry = shapely.transform(geom, lambda xy: np.round(xy, 6))
    return rounded


class FeedRenderer:
    """Renders every GBFS file of a simulation for one base URL (discovery links are absolute)."""

    def __init__(
        self,
        simulation: Simulation,
        *,
        base_url: str,
        versions: tuple[str, ...] = VERSIONS,
        status_ttl_s: int = STATUS_TTL_S,
        static_ttl_s: int = STATIC_TTL_S,
    ) -> None:
        unknown = set(versions) - set(VERSIONS)
        if unknown:
            raise ValueError(f"GBFS versions not served: {sorted(unknown)}")
        self._sim = simulation
        self._base = base_url.rstrip("/")
        self.versions = tuple(v for v in VERSIONS if v in versions)
        self._status_ttl = status_ttl_s
        self._static_ttl = static_ttl_s
        self._tz = ZoneInfo(simulation.scenario.timezone)
        self._files: dict[str, tuple[int, str, str]] = {}
        for index, company in enumerate(simulation.scenario.companies):
            for version in self.versions:
                for name in ["gbfs", *_feed_names(company, version)]:
                    self._files[f"{company.slug}/gbfs/{version}/{name}.json"] = (
                        index,
                        version,
                        name,
                    )
        if "3.0" in self.versions:
            self._files["gbfs/3.0/manifest.json"] = (-1, "3.0", "manifest")
        self._builders: dict[str, Callable[[CompanySpec, str], Any]] = {
            "gbfs": self._gbfs,
            "gbfs_versions": self._gbfs_versions,
            "system_information": self._system_information,
            "vehicle_types": self._vehicle_types,
            "system_pricing_plans": self._pricing_plans,
            "station_information": self._station_information,
            "station_status": self._station_status,
            "system_regions": self._regions,
            "free_bike_status": self._vehicle_status,
            "vehicle_status": self._vehicle_status,
            "geofencing_zones": self._geofencing_zones,
        }

    def paths(self) -> list[str]:
        """Every path this renderer serves, relative to the base URL."""
        return list(self._files)

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return f"{self._base}/{path}"

    def discovery_urls(self) -> dict[str, dict[str, str]]:
        """Company slug → version → URL of its gbfs.json."""
        return {
            c.slug: {v: self.url(f"{c.slug}/gbfs/{v}/gbfs.json") for v in self.versions}
            for c in self._sim.scenario.companies
        }

    def company_of(self, path: str) -> str | None:
        """The slug of the company publishing ``path`` (None for the shared manifest)."""
        index = self._files[path][0]
        return None if index < 0 else self._sim.scenario.companies[index].slug

    def feed_of(self, path: str) -> str:
        """The GBFS feed name of ``path``, e.g. ``free_bike_status``."""
        return self._files[path][2]

    def is_status(self, path: str) -> bool:
        """Whether ``path`` changes with every tick (else it holds for the whole run)."""
        return self._files[path][2] in STATUS_FEEDS

    def ttl(self, path: str) -> int:
        """GBFS ttl of ``path``, seconds."""
        return self._status_ttl if self.is_status(path) else self._static_ttl

    def last_updated(self, path: str) -> int:
        """GBFS last_updated of ``path``, POSIX seconds."""
        if self.is_status(path):
            return int(self._sim.timestamp)
        return int(self._sim.start.timestamp())

    def render(self, path: str) -> bytes:
        """The JSON bytes of ``path`` now; ``KeyError`` if this renderer does not serve it."""
        index, version, name = self._files[path]
        if name == "manifest":
            data: Any = self._manifest()
        else:
            data = self._builders[name](self._sim.scenario.companies[index], version)
        document = {
            "last_updated": self._time(self.last_updated(path), version),
            "ttl": self.ttl(path),
            "version": version,
            "data": data,
        }
        return orjson.dumps(document)

    def _time(self, posix: int, version: str) -> int | str:
        """2.x: POSIX seconds; 3.0: RFC 3339 in city time (e.g. 2025-06-02T08:30:00+05:00)."""
        if version == "2.3":
            return posix
        return datetime.fromtimestamp(posix, self._tz).isoformat()

    def _text(self, texts: Localized, version: str) -> str | list[dict[str, str]]:
        """2.3: the Russian text (feed language ru); 3.0: every language the system lists."""
        if version == "2.3":
            return texts["ru"]
        return [{"text": texts[lang], "language": lang} for lang in self._sim.scenario.languages]

    def _manifest(self) -> dict[str, Any]:
        return {
            "datasets": [
                {
                    "system_id": c.system_id,
                    "versions": [
                        {"version": v, "url": self.url(f"{c.slug}/gbfs/{v}/gbfs.json")}
                        for v in self.versions
                    ],
                }
                for c in self._sim.scenario.companies
            ]
        }

    def _gbfs(self, company: CompanySpec, version: str) -> dict[str, Any]:
        feeds = [
            {"name": name, "url": self.url(f"{company.slug}/gbfs/{version}/{name}.json")}
            for name in _feed_names(company, version)
        ]
        return {"ru": {"feeds": feeds}} if version == "2.3" else {"feeds": feeds}

    def _gbfs_versions(self, company: CompanySpec, version: str) -> dict[str, Any]:
        del version  # the same list in every version
        return {
            "versions": [
                {"version": v, "url": self.url(f"{company.slug}/gbfs/{v}/gbfs.json")}
                for v in self.versions
            ]
        }

    def _system_information(self, company: CompanySpec, version: str) -> dict[str, Any]:
        if version == "2.3":
            # The brief's wording, in English, so nobody mistakes the feed for a real one.
            return {
                "system_id": company.system_id,
                "language": "ru",
                "name": company.name["en"],
                "short_name": company.short_name["en"],
                "operator": OPERATOR["en"],
                "timezone": self._sim.scenario.timezone,
                "license_url": ODBL_URL,
                "feed_contact_email": FEED_CONTACT,
            }
        info: dict[str, Any] = {
            "system_id": company.system_id,
            "languages": list(self._sim.scenario.languages),
            "name": self._text(company.name, version),
            "short_name": self._text(company.short_name, version),
            "operator": self._text(OPERATOR, version),
            "opening_hours": "24/7",
            "feed_contact_email": FEED_CONTACT,
            "timezone": self._sim.scenario.timezone,
            "license_id": ODBL_ID,
            "attribution_organization_name": self._text(OSM_ATTRIBUTION, version),
            "attribution_url": OSM_COPYRIGHT_URL,
        }
        if "3.0" in self.versions:
            # Required when a publisher has datasets for more than one system.
            info["manifest_url"] = self.url("gbfs/3.0/manifest.json")
        return info

    def _vehicle_types(self, company: CompanySpec, version: str) -> dict[str, Any]:
        return {
            "vehicle_types": [
                {
                    "vehicle_type_id": company.vehicle_type_id,
                    "form_factor": "scooter_standing",
                    "propulsion_type": "electric",
                    "max_range_meters": company.max_range_m,
                    "name": self._text(company.vehicle_name, version),
                    "wheel_count": 2,
                    "max_permitted_speed": company.max_speed_kmh,
                    "return_constraint": "any_station"
                    if company.station_based
                    else "free_floating",
                    "default_pricing_plan_id": _plan_id(company),
                    "pricing_plan_ids": [_plan_id(company)],
                }
            ]
        }

    def _pricing_plans(self, company: CompanySpec, version: str) -> dict[str, Any]:
        unlock, per_minute = round(company.unlock_kzt), round(company.per_minute_kzt)
        description = {
            "ru": f"Симулированный тариф: старт {unlock} ₸, затем {per_minute} ₸ в минуту",
            "en": f"Simulated tariff: {unlock} KZT to start, then {per_minute} KZT a minute",
        }
        return {
            "plans": [
                {
                    "plan_id": _plan_id(company),
                    "name": self._text({"ru": "Поминутный", "en": "Per minute"}, version),
                    "currency": "KZT",
                    "price": company.unlock_kzt,
                    "is_taxable": False,
                    "description": self._text(description, version),
                    "per_min_pricing": [
                        {"start": 0, "rate": company.per_minute_kzt, "interval": 1}
                    ],
                }
            ]
        }

    def _geofencing_zones(self, company: CompanySpec, version: str) -> dict[str, Any]:
        vt = [company.vehicle_type_id]
        features = []
        for zone in self._sim.scenario.zones:
            if zone.zone_id in company.skipped_zones:
                continue
            through = RIDE_THROUGH[zone.rule]
            if version == "2.3":
                rule: dict[str, Any] = {
                    "vehicle_type_id": vt,
                    "ride_allowed": False,
                    "ride_through_allowed": through,
                }
            else:
                rule = {
                    "vehicle_type_ids": vt,
                    "ride_start_allowed": False,
                    "ride_end_allowed": False,
                    "ride_through_allowed": through,
                }
            if zone.max_speed_kmh:
                rule["maximum_speed_kph"] = zone.max_speed_kmh
            names = {"ru": zone.name_local, "en": zone.name_en}
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": self._text(names, version), "rules": [rule]},
                    "geometry": geometry_to_geojson(_round6(zone.geometry)),
                }
            )
        data: dict[str, Any] = {
            "geofencing_zones": {"type": "FeatureCollection", "features": features}
        }
        if version != "2.3":
            global_rule = {
                "vehicle_type_ids": vt,
                "ride_start_allowed": True,
                "ride_end_allowed": True,
                "ride_through_allowed": True,
                "maximum_speed_kph": company.max_speed_kmh,
                "station_parking": company.station_based,
            }
            data["global_rules"] = [global_rule]
        return data

    def _stations(self, company: CompanySpec) -> tuple[list[str], list[int]]:
        """Station ids and their places, for a station-based company."""
        index = self._sim.scenario.companies.index(company)
        places = self._sim.planner.geography[index].station_places.tolist()
        keys = self._sim.scenario.places.keys
        return [f"{company.slug}-{keys[p]}" for p in places], places

    def _station_information(self, company: CompanySpec, version: str) -> dict[str, Any]:
        index = self._sim.scenario.companies.index(company)
        geo = self._sim.planner.geography[index]
        places = self._sim.scenario.places
        districts = self._sim.scenario.districts
        stations = []
        for station_id, p in zip(*self._stations(company), strict=True):
            lon, lat = float(geo.drop_lon[p]), float(geo.drop_lat[p])
            area = self._circle(lon, lat, STATION_RADIUS_M)
            names = {"ru": places.names_local[p], "en": places.names_en[p]}
            station: dict[str, Any] = {
                "station_id": station_id,
                "name": self._text(names, version),
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "is_virtual_station": True,
                "station_area": geometry_to_geojson(as_multipolygon(area)),
                "parking_type": "sidewalk_parking",
            }
            district = int(places.district[p])
            if district >= 0:
                station["region_id"] = districts[district].region_id
            stations.append(station)
        return {"stations": stations}

    def _circle(self, lon: float, lat: float, radius_m: float) -> Polygon:
        """A 12-sided polygon of ``radius_m`` metres around a point, in degrees."""
        plane = self._sim.scenario.plane
        angle = np.linspace(0.0, 2.0 * np.pi, 13)[:-1]
        xs = np.round(lon + radius_m * np.cos(angle) / plane.metres_per_degree_lon, 6)
        ys = np.round(lat + radius_m * np.sin(angle) / METRES_PER_DEGREE_LAT, 6)
        return Polygon(np.column_stack([xs, ys]))

    def _regions(self, company: CompanySpec, version: str) -> dict[str, Any]:
        del company  # every company shares the city's districts
        return {
            "regions": [
                {
                    "region_id": d.region_id,
                    "name": self._text({"ru": d.name_local, "en": d.name_en}, version),
                }
                for d in self._sim.scenario.districts
            ]
        }

    def _station_status(self, company: CompanySpec, version: str) -> dict[str, Any]:
        view = self._sim.view(company.slug)
        station_ids, _ = self._stations(company)
        at_station = view.station >= 0
        free = at_station & ~view.reserved & ~view.disabled
        count = len(station_ids)
        available = np.bincount(view.station[free], minlength=count).tolist()
        broken = np.bincount(view.station[at_station & view.disabled], minlength=count).tolist()
        noun = "bikes" if version == "2.3" else "vehicles"
        reported = self._time(int(view.at), version)
        return {
            "stations": [
                {
                    "station_id": station_id,
                    f"num_{noun}_available": n,
                    "vehicle_types_available": [
                        {"vehicle_type_id": company.vehicle_type_id, "count": n}
                    ],
                    f"num_{noun}_disabled": d,
                    "is_installed": True,
                    "is_renting": True,
                    "is_returning": True,
                    "last_reported": reported,
                }
                for station_id, n, d in zip(station_ids, available, broken, strict=True)
            ]
        }

    def _vehicle_status(self, company: CompanySpec, version: str) -> dict[str, Any]:
        view = self._sim.view(company.slug)
        records = _vehicle_records(view, self._reported(view, version), version)
        if company.station_based:
            station_ids, _ = self._stations(company)
            for record, station in zip(records, view.station.tolist(), strict=True):
                if station >= 0:
                    record["station_id"] = station_ids[station]
        return {"bikes" if version == "2.3" else "vehicles": records}

    def _reported(self, view: VehicleView, version: str) -> list[int] | list[str]:
        """last_reported per vehicle; 3.0 strings are formatted once per distinct second."""
        if version == "2.3":
            reported: list[int] = view.last_reported.tolist()
            return reported
        unique, inverse = np.unique(view.last_reported, return_inverse=True)
        texts = [datetime.fromtimestamp(s, self._tz).isoformat() for s in unique.tolist()]
        return [texts[i] for i in inverse.tolist()]


def _plan_id(company: CompanySpec) -> str:
    return f"{company.slug}-per-minute"


def _vehicle_records(
    view: VehicleView, reported: list[int] | list[str], version: str
) -> list[dict[str, Any]]:
    """One GBFS vehicle record per shown vehicle (built from plain lists: this is the hot path).

    Each record carries per-vehicle ``rental_uris`` (app deep links), as real dockless feeds do:
    they make up about half of a real document's bytes, so parsing costs here are realistic.
    """
    company = view.company
    rent = f"https://{company.slug}.sim.tartip.invalid/rent?vehicle="
    id_key = "bike_id" if version == "2.3" else "vehicle_id"
    vehicle_type, plan = company.vehicle_type_id, _plan_id(company)
    charge = np.round(view.charge, 2)
    range_m = np.round(view.charge * company.max_range_m).astype(np.int64).tolist()
    columns = zip(
        view.ids,
        np.round(view.lat, 6).tolist(),
        np.round(view.lon, 6).tolist(),
        view.reserved.tolist(),
        view.disabled.tolist(),
        reported,
        range_m,
        charge.tolist(),
        strict=True,
    )
    return [
        {
            id_key: vehicle_id,
            "lat": lat,
            "lon": lon,
            "is_reserved": reserved,
            "is_disabled": disabled,
            "vehicle_type_id": vehicle_type,
            "last_reported": last,
            "current_range_meters": metres,
            "current_fuel_percent": fuel,
            "pricing_plan_id": plan,
            "rental_uris": {
                "android": f"{rent}{vehicle_id}&platform=android",
                "ios": f"{rent}{vehicle_id}&platform=ios",
            },
        }
        for vehicle_id, lat, lon, reserved, disabled, last, metres, fuel in columns
    ]
