"""The slower-changing GBFS files: system information, vehicle types, stations, geofencing zones.

Each reader takes a decoded document and returns what Tartip stores, the number of records, the
records it had to reject (with JSON paths) and the quirks it forgave (``notes``).
Geofencing rules are normalised to GBFS 3.0 names: 2.x ``ride_allowed`` becomes
``ride_start_allowed`` and ``ride_end_allowed``, ``vehicle_type_id`` becomes ``vehicle_type_ids``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from tartip.core.errors import FeedMalformed, InvalidInput, Problem
from tartip.core.geo import geometry_from_geojson
from tartip.feeds.gbfs.values import as_id, localized, time_or_none

T = TypeVar("T")


@dataclass
class Read(Generic[T]):
    """What one file gave: the usable content, how many records, rejections and forgiven quirks."""

    content: T
    records: int = 0
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class VehicleTypeInfo:
    """One ``vehicle_types`` entry."""

    vehicle_type_id: str
    form_factor: str
    propulsion_type: str
    name: str | None
    max_range_meters: float | None


@dataclass(frozen=True)
class StationInfo:
    """One ``station_information`` entry (a dock, or a virtual parking hub)."""

    station_id: str
    name: str
    lon: float
    lat: float
    capacity: int | None
    is_virtual: bool


@dataclass(frozen=True)
class StationStatusInfo:
    """One ``station_status`` entry."""

    station_id: str
    num_vehicles_available: int | None
    num_docks_available: int | None
    last_reported: float | None


@dataclass(frozen=True)
class Zone:
    """One geofencing zone: its polygons and its rules (3.0 names), in feed order."""

    name: str | None
    geometry: MultiPolygon
    rules: list[dict[str, Any]]


@dataclass
class Geofences:
    """Every zone of ``geofencing_zones`` and the 3.0 ``global_rules`` (outside every zone)."""

    zones: list[Zone]
    global_rules: list[dict[str, Any]] | None


def _data(doc: Any, key: str, file: str) -> Any:
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or key not in data:
        raise FeedMalformed(f"not a GBFS {file} document: data.{key} is missing")
    return data[key]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _integer(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _flag(value: object) -> bool | None:
    # GBFS 1.x writes booleans as 0/1; some feeds write "true"/"false".
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in {"true", "false", "0", "1"}:
        return value.lower() in {"true", "1"}
    return None


def read_system_information(doc: Any, *, languages: list[str]) -> dict[str, Any]:
    """The system's identity: id, name, time zone, operator, licence, languages."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise FeedMalformed("not a GBFS system_information document: no data object")
    data = doc["data"]
    offered = data.get("languages") or ([data["language"]] if data.get("language") else [])
    return {
        "system_id": as_id(data.get("system_id")),
        "name": localized(data.get("name"), languages),
        "operator": localized(data.get("operator"), languages),
        "timezone": data.get("timezone") if isinstance(data.get("timezone"), str) else None,
        "license_url": data.get("license_url") or data.get("license_id"),
        "languages": [str(x) for x in offered] if isinstance(offered, list) else [],
    }


def read_vehicle_types(doc: Any, *, languages: list[str]) -> Read[list[VehicleTypeInfo]]:
    """Every vehicle type; entries without an id are rejected."""
    entries = _data(doc, "vehicle_types", "vehicle_types")
    read: Read[list[VehicleTypeInfo]] = Read([], records=_count(entries))
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        where = f"data.vehicle_types[{index}]"
        type_id = as_id(entry.get("vehicle_type_id")) if isinstance(entry, dict) else None
        if type_id is None:
            read.rejected.append(Problem(where, "no vehicle_type_id"))
            continue
        read.content.append(
            VehicleTypeInfo(
                vehicle_type_id=type_id,
                form_factor=str(entry.get("form_factor") or "other"),
                propulsion_type=str(entry.get("propulsion_type") or "human"),
                name=localized(entry.get("name"), languages),
                max_range_meters=_number(entry.get("max_range_meters")),
            )
        )
    return read


def read_stations(doc: Any, *, languages: list[str]) -> Read[list[StationInfo]]:
    """Every station with an id and a position; the others are rejected."""
    entries = _data(doc, "stations", "station_information")
    read: Read[list[StationInfo]] = Read([], records=_count(entries))
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        where = f"data.stations[{index}]"
        station_id = as_id(entry.get("station_id")) if isinstance(entry, dict) else None
        if station_id is None:
            read.rejected.append(Problem(where, "no station_id"))
            continue
        lat, lon = _number(entry.get("lat")), _number(entry.get("lon"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            read.rejected.append(Problem(f"{where}.lat", "no usable position"))
            continue
        read.content.append(
            StationInfo(
                station_id=station_id,
                name=localized(entry.get("name"), languages) or station_id,
                lon=lon,
                lat=lat,
                capacity=_integer(entry.get("capacity")),
                is_virtual=bool(_flag(entry.get("is_virtual_station"))),
            )
        )
    return read


def read_station_status(doc: Any) -> Read[list[StationStatusInfo]]:
    """Every station's counts (2.x ``num_bikes_available`` read as ``num_vehicles_available``)."""
    entries = _data(doc, "stations", "station_status")
    read: Read[list[StationStatusInfo]] = Read([], records=_count(entries))
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        station_id = as_id(entry.get("station_id")) if isinstance(entry, dict) else None
        if station_id is None:
            read.rejected.append(Problem(f"data.stations[{index}]", "no station_id"))
            continue
        available = entry.get("num_vehicles_available", entry.get("num_bikes_available"))
        read.content.append(
            StationStatusInfo(
                station_id=station_id,
                num_vehicles_available=_integer(available),
                num_docks_available=_integer(entry.get("num_docks_available")),
                last_reported=time_or_none(entry.get("last_reported")),
            )
        )
    return read


def read_geofences(doc: Any, *, languages: list[str], version: str | None) -> Read[Geofences]:
    """Every zone with a usable geometry; features without one are rejected, the rest kept."""
    collection = _data(doc, "geofencing_zones", "geofencing_zones")
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise FeedMalformed("not a GBFS geofencing_zones document: no features list")
    read: Read[Geofences] = Read(Geofences([], None), records=len(features))
    is_v3 = (version or "").startswith("3")
    for index, feature in enumerate(features):
        zone = _zone(feature, f"data.geofencing_zones.features[{index}]", languages, is_v3, read)
        if zone is not None:
            read.content.zones.append(zone)
    global_rules = doc["data"].get("global_rules")
    if global_rules is not None:
        read.content.global_rules = _rules(global_rules, "data.global_rules", is_v3, read.notes)
    return read


def _zone(
    feature: object, where: str, languages: list[str], is_v3: bool, read: Read[Geofences]
) -> Zone | None:
    if not isinstance(feature, dict):
        read.rejected.append(Problem(where, "not a GeoJSON feature"))
        return None
    geometry = _multipolygon(feature.get("geometry"), f"{where}.geometry", read.rejected)
    if geometry is None:
        return None
    properties = feature.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    rules = _rules(properties.get("rules", []), f"{where}.properties.rules", is_v3, read.notes)
    return Zone(name=localized(properties.get("name"), languages), geometry=geometry, rules=rules)


def _multipolygon(obj: object, where: str, rejected: list[Problem]) -> MultiPolygon | None:
    if not isinstance(obj, dict):
        rejected.append(Problem(where, "no geometry; zone skipped"))
        return None
    try:
        geom: BaseGeometry = geometry_from_geojson(obj, where=where)
    except InvalidInput as exc:
        rejected.append(exc.problems[0] if exc.problems else Problem(where, exc.message))
        return None
    if not geom.is_valid:
        # Self-touching rings are common in exported zones; repair rather than drop them.
        geom = shapely.make_valid(geom)
    polygons = _polygons(geom)
    if not polygons:
        rejected.append(Problem(where, f"{geom.geom_type} is not a polygon; zone skipped"))
        return None
    return MultiPolygon(polygons)


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    parts = getattr(geom, "geoms", [])
    return [p for part in parts for p in _polygons(part)]


def _rules(value: object, where: str, is_v3: bool, notes: list[Problem]) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        notes.append(Problem(where, "an object where an array belongs; read as one rule"))
        value = [value]
    if not isinstance(value, list):
        notes.append(Problem(where, "not an array of rules; ignored"))
        return []
    return [
        _rule(rule, f"{where}[{i}]", is_v3, notes)
        for i, rule in enumerate(value)
        if isinstance(rule, dict)
    ]


def _rule(rule: dict[str, Any], where: str, is_v3: bool, notes: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ids = rule.get("vehicle_type_ids")
    if ids is None and "vehicle_type_id" in rule:
        ids = rule["vehicle_type_id"]
        if is_v3:
            notes.append(Problem(where, "2.x key vehicle_type_id read as vehicle_type_ids"))
    if ids is not None:
        listed = ids if isinstance(ids, list) else [ids]
        out["vehicle_type_ids"] = [i for i in (as_id(x) for x in listed) if i is not None]
    if "ride_allowed" in rule and "ride_start_allowed" not in rule:
        allowed = _flag(rule["ride_allowed"])
        out["ride_start_allowed"] = allowed
        out["ride_end_allowed"] = allowed
    for key in ("ride_start_allowed", "ride_end_allowed", "ride_through_allowed"):
        if key in rule:
            out[key] = _flag(rule[key])
    if rule.get("maximum_speed_kph") is not None:
        out["maximum_speed_kph"] = _number(rule["maximum_speed_kph"])
    if "station_parking" in rule:
        out["station_parking"] = _flag(rule["station_parking"])
    return out


def _count(entries: object) -> int:
    return len(entries) if isinstance(entries, list) else 0
