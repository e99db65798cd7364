"""MDS records as Tartip uses them, read from MDS 2.0 and 1.2 objects alike.

One normalised record per kind (``TripRecord``, ``EventRecord``, ``TelemetryRecord``,
``VehicleRecord``, ``StatusRecord``), whatever the version or the way in (Provider pull, Agency
push). Each raw object is decoded on its own with a typed, lax ``msgspec`` Struct that builds only
the fields Tartip uses, then checked; a bad object becomes a ``Problem`` with its JSON path
(``trips[12].start_location.lat``) and never takes the others down.

Liberal where real feeds stray and the meaning is clear (numbers as strings, upper-case UUIDs,
timestamps in seconds instead of milliseconds); strict where a value would mislead (a latitude
out of range, an end before the start, a state or event type MDS does not define).

Version differences handled here: 1.2 trips carry ``trip_duration``/``trip_distance`` and a
GeoJSON ``route`` instead of ``start_location``/``end_location``; 1.2 status changes have
``event_time``, a GeoJSON ``event_location``, one ``trip_id``, ``battery_pct`` as a fraction and
no ``event_id`` (a UUID is derived from the device, time, state and types, so re-pulls match).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from msgspec import Raw

from tartip.core.errors import Problem
from tartip.trips.statemachine import TRIP_EVENT_TYPES, micromobility

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# MDS timestamps are milliseconds since 2018 (the schema's minimum); smaller numbers are seconds.
_MIN_MS = 1_514_764_800_000
_SECONDS_BELOW = 100_000_000_000
# Namespace of the event ids Tartip derives for MDS 1.2 status changes.
EVENT_ID_NAMESPACE = uuid.UUID("6f1b3e0a-8c2d-4e57-9a41-0d5c7b2e9f10")
MAX_TEXT = 255


class RecordError(ValueError):
    """One field of one record is unusable: ``where`` (relative to the record) and why."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


# --- the records Tartip keeps -------------------------------------------------------------------


@dataclass(slots=True)
class TripRecord:
    """One finished trip."""

    trip_id: str
    device_id: str
    start_ms: int
    end_ms: int
    duration_s: int
    distance_m: int
    start_lon: float
    start_lat: float
    end_lon: float
    end_lat: float
    vehicle_id: str | None = None
    vehicle_type: str | None = None
    # (lon, lat) points of the route when the company gave one (MDS 1.2 ``route``).
    route: list[tuple[float, float]] | None = None


@dataclass(slots=True)
class EventRecord:
    """One vehicle state change."""

    event_id: str
    device_id: str
    event_types: list[str]
    vehicle_state: str
    timestamp_ms: int
    lon: float | None = None
    lat: float | None = None
    trip_ids: list[str] = field(default_factory=list)
    battery_percent: int | None = None
    publication_ms: int | None = None
    vehicle_id: str | None = None
    vehicle_type: str | None = None
    propulsion_types: list[str] | None = None

    @property
    def types_key(self) -> str:
        """The event types joined by commas (the second natural key)."""
        return ",".join(self.event_types)[:MAX_TEXT]


@dataclass(slots=True)
class TelemetryRecord:
    """One position of a vehicle."""

    telemetry_id: str
    device_id: str
    timestamp_ms: int
    lon: float
    lat: float
    trip_ids: list[str] = field(default_factory=list)
    speed: float | None = None
    battery_percent: int | None = None


@dataclass(slots=True)
class VehicleRecord:
    """A vehicle's rarely changing properties."""

    device_id: str
    vehicle_id: str | None
    provider_id: str | None = None
    vehicle_type: str | None = None
    propulsion_types: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StatusRecord:
    """A vehicle's current status: its last event (and, in 1.2, its properties)."""

    device_id: str
    vehicle: VehicleRecord | None
    last_event: EventRecord | None


# --- MDS 2.0 objects (only the fields used) ---------------------------------------------------


class _Gps(msgspec.Struct, gc=False):
    lat: float
    lng: float
    speed: float | None = None


class _Event20(msgspec.Struct, gc=False):
    device_id: str
    event_id: str
    vehicle_state: str
    event_types: list[str]
    timestamp: float
    location: _Gps | None = None
    trip_ids: list[str] | None = None
    battery_percent: int | None = None
    publication_time: float | None = None


class _Trip20(msgspec.Struct, gc=False):
    trip_id: str
    device_id: str
    start_time: float
    end_time: float
    start_location: _Gps
    end_location: _Gps
    duration: int
    distance: int


class _Telemetry20(msgspec.Struct, gc=False):
    telemetry_id: str
    device_id: str
    timestamp: float
    location: _Gps
    trip_ids: list[str] | None = None
    battery_percent: int | None = None


class _Vehicle20(msgspec.Struct):
    device_id: str
    vehicle_id: str | int | None = None
    provider_id: str | None = None
    vehicle_type: str | None = None
    propulsion_types: list[str] | None = None
    vehicle_attributes: dict[str, Any] | None = None
    accessibility_attributes: Any = None
    battery_capacity: int | None = None
    fuel_capacity: int | None = None
    maximum_speed: int | None = None


class _Status20(msgspec.Struct):
    device_id: str
    last_event: _Event20 | None = None


# --- MDS 1.2 objects ------------------------------------------------------------------------------


class _Point(msgspec.Struct, gc=False):
    coordinates: list[float]


class _PointProperties(msgspec.Struct, gc=False):
    timestamp: float | None = None


class _Feature(msgspec.Struct, gc=False):
    geometry: _Point
    properties: _PointProperties | None = None


class _Route(msgspec.Struct, gc=False):
    features: list[_Feature]


class _Trip12(msgspec.Struct, gc=False):
    trip_id: str
    device_id: str
    start_time: float
    end_time: float
    trip_duration: int
    trip_distance: int
    route: _Route
    vehicle_id: str | int | None = None
    vehicle_type: str | None = None


class _StatusChange12(msgspec.Struct, gc=False):
    device_id: str
    vehicle_state: str
    event_types: list[str]
    event_time: float
    event_location: _Feature | None = None
    trip_id: str | None = None
    battery_pct: float | None = None
    publication_time: float | None = None
    vehicle_id: str | int | None = None
    vehicle_type: str | None = None
    propulsion_types: list[str] | None = None


class _Vehicle12(msgspec.Struct):
    device_id: str
    vehicle_id: str | int | None = None
    provider_id: str | None = None
    vehicle_type: str | None = None
    propulsion_types: list[str] | None = None
    last_event_time: float | None = None
    last_vehicle_state: str | None = None
    last_event_types: list[str] | None = None
    last_event_location: _Feature | None = None
    current_location: _Feature | None = None
    battery_pct: float | None = None


# --- reading ----------------------------------------------------------------------------------

T = TypeVar("T")
R = TypeVar("R")


def read_all(
    raws: list[Raw] | list[Any],
    kind: type[T],
    convert: Callable[[T], R],
    *,
    where: str,
) -> tuple[list[R], list[Problem]]:
    """Decode each raw object (JSON bytes, or already-parsed JSON) as ``kind``, then ``convert``.

    Returns the usable records and one ``Problem`` per unusable one, at ``where[i]…``.
    """
    decoder = msgspec.json.Decoder(kind, strict=False)
    records: list[R] = []
    problems: list[Problem] = []
    for index, raw in enumerate(raws):
        try:
            if isinstance(raw, Raw):
                obj = decoder.decode(raw)
            else:
                obj = msgspec.convert(raw, kind, strict=False)
            records.append(convert(obj))
        except msgspec.ValidationError as exc:
            problems.append(Problem(f"{where}[{index}]", _msgspec_message(str(exc))))
        except msgspec.DecodeError as exc:
            problems.append(Problem(f"{where}[{index}]", f"not JSON: {exc}"))
        except RecordError as exc:
            problems.append(Problem(f"{where}[{index}].{exc.where}", exc.message))
    return records, problems


_AT = re.compile(r" - at `\$\.?(.*)`$")


def _msgspec_message(text: str) -> str:
    # msgspec says "Expected `int`, got `str` - at `$.duration`": name the field first.
    found = _AT.search(text)
    if found is None:
        return text
    return f"{found.group(1) or 'record'}: {text[: found.start()]}"


# --- checks shared by every kind --------------------------------------------------------------


def an_id(value: str | None, where: str) -> str:
    """A UUID-like id, lower-cased; MDS ids are UUIDs but only their length is enforced here."""
    if value is None or not str(value).strip():
        raise RecordError(where, "missing")
    text = str(value).strip().lower()
    if len(text) > 36:
        raise RecordError(where, f"{text[:40]!r} is longer than a UUID (36 characters)")
    return text


def _ids(values: list[str] | None, where: str) -> list[str]:
    """A list of ids, each checked as ``an_id`` (the path is only made for a bad one)."""
    if not values:
        return []
    found = [v.strip().lower() if isinstance(v, str) else "" for v in values]
    for index, value in enumerate(found):
        if not value or len(value) > 36:
            an_id(values[index], f"{where}[{index}]")  # raises, saying where and why
    return found


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a lower-case UUID as MDS writes them."""
    return bool(_UUID.match(value))


def timestamp_ms(value: float | None, where: str) -> int:
    """An MDS timestamp in integer milliseconds; seconds are accepted and converted."""
    if value is None:
        raise RecordError(where, "missing")
    if value != value or value in (float("inf"), float("-inf")):
        raise RecordError(where, "not a number")
    if 0 < value < _SECONDS_BELOW:
        value *= 1000
    if value < _MIN_MS:
        raise RecordError(where, f"{value:.0f} is before 2018 (MDS timestamps are milliseconds)")
    return int(value)


def position(lon: float, lat: float, where: str) -> tuple[float, float]:
    """A (lon, lat) pair in range."""
    if not -90.0 <= lat <= 90.0:
        raise RecordError(f"{where}.lat", f"latitude {lat} out of range")
    if not -180.0 <= lon <= 180.0:
        raise RecordError(f"{where}.lng", f"longitude {lon} out of range")
    return lon, lat


def _text(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:MAX_TEXT] or None


def _event_parts(
    vehicle_state: str, event_types: list[str], trip_ids: list[str], *, require_trip: bool = True
) -> None:
    machine = micromobility()
    if vehicle_state not in machine.states:
        raise RecordError("vehicle_state", f"{vehicle_state!r} is not an MDS micromobility state")
    if not event_types:
        raise RecordError("event_types", "empty")
    for index, event_type in enumerate(event_types):
        if event_type not in machine.event_types:
            raise RecordError(
                f"event_types[{index}]", f"{event_type!r} is not an MDS micromobility event type"
            )
    if require_trip and TRIP_EVENT_TYPES.intersection(event_types) and not trip_ids:
        raise RecordError("trip_ids", f"required with {', '.join(event_types)}")


def _percent(value: int | None, where: str) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise RecordError(where, f"{value} is not a percentage (0–100)")
    return value


# --- MDS 2.0 → records ------------------------------------------------------------------------


def event_from_20(obj: _Event20) -> EventRecord:
    """An MDS 2.0 event."""
    trip_ids = _ids(obj.trip_ids, "trip_ids")
    _event_parts(obj.vehicle_state, obj.event_types, trip_ids)
    lon = lat = None
    if obj.location is not None:
        lon, lat = position(obj.location.lng, obj.location.lat, "location")
    return EventRecord(
        event_id=an_id(obj.event_id, "event_id"),
        device_id=an_id(obj.device_id, "device_id"),
        event_types=list(obj.event_types),
        vehicle_state=obj.vehicle_state,
        timestamp_ms=timestamp_ms(obj.timestamp, "timestamp"),
        lon=lon,
        lat=lat,
        trip_ids=trip_ids,
        battery_percent=_percent(obj.battery_percent, "battery_percent"),
        publication_ms=(
            timestamp_ms(obj.publication_time, "publication_time")
            if obj.publication_time is not None
            else None
        ),
    )


def trip_from_20(obj: _Trip20) -> TripRecord:
    """An MDS 2.0 trip."""
    start = timestamp_ms(obj.start_time, "start_time")
    end = timestamp_ms(obj.end_time, "end_time")
    _check_trip_times(start, end, obj.duration, obj.distance)
    start_lon, start_lat = position(
        obj.start_location.lng, obj.start_location.lat, "start_location"
    )
    end_lon, end_lat = position(obj.end_location.lng, obj.end_location.lat, "end_location")
    return TripRecord(
        trip_id=an_id(obj.trip_id, "trip_id"),
        device_id=an_id(obj.device_id, "device_id"),
        start_ms=start,
        end_ms=end,
        duration_s=obj.duration,
        distance_m=obj.distance,
        start_lon=start_lon,
        start_lat=start_lat,
        end_lon=end_lon,
        end_lat=end_lat,
    )


def _check_trip_times(start: int, end: int, duration: int, distance: int) -> None:
    if end < start:
        raise RecordError("end_time", "before start_time")
    if duration < 0:
        raise RecordError("duration", f"{duration} is negative")
    if distance < 0:
        raise RecordError("distance", f"{distance} is negative")


def telemetry_from_20(obj: _Telemetry20) -> TelemetryRecord:
    """An MDS 2.0 telemetry point."""
    lon, lat = position(obj.location.lng, obj.location.lat, "location")
    return TelemetryRecord(
        telemetry_id=an_id(obj.telemetry_id, "telemetry_id"),
        device_id=an_id(obj.device_id, "device_id"),
        timestamp_ms=timestamp_ms(obj.timestamp, "timestamp"),
        lon=lon,
        lat=lat,
        trip_ids=_ids(obj.trip_ids, "trip_ids"),
        speed=obj.location.speed,
        battery_percent=_percent(obj.battery_percent, "battery_percent"),
    )


def vehicle_from_20(obj: _Vehicle20) -> VehicleRecord:
    """An MDS 2.0 vehicle."""
    extra = {
        name: value
        for name, value in (
            ("vehicle_attributes", obj.vehicle_attributes),
            ("accessibility_attributes", obj.accessibility_attributes),
            ("battery_capacity", obj.battery_capacity),
            ("fuel_capacity", obj.fuel_capacity),
            ("maximum_speed", obj.maximum_speed),
        )
        if value is not None
    }
    return VehicleRecord(
        device_id=an_id(obj.device_id, "device_id"),
        vehicle_id=_text(obj.vehicle_id),
        provider_id=obj.provider_id.lower() if obj.provider_id else None,
        vehicle_type=(obj.vehicle_type or "")[:32] or None,
        propulsion_types=[p[:32] for p in obj.propulsion_types or []],
        attributes=extra,
    )


def status_from_20(obj: _Status20) -> StatusRecord:
    """An MDS 2.0 vehicle status (its last event; the last telemetry is not kept)."""
    event = None
    if obj.last_event is not None:
        try:
            event = event_from_20(obj.last_event)
        except RecordError as exc:
            raise RecordError(f"last_event.{exc.where}", exc.message) from exc
    return StatusRecord(device_id=an_id(obj.device_id, "device_id"), vehicle=None, last_event=event)


# --- MDS 1.2 → records ------------------------------------------------------------------------


def _feature_position(feature: _Feature, where: str) -> tuple[float, float]:
    coordinates = feature.geometry.coordinates
    if len(coordinates) < 2:
        raise RecordError(f"{where}.geometry.coordinates", "needs longitude and latitude")
    return position(coordinates[0], coordinates[1], f"{where}.geometry.coordinates")


def trip_from_12(obj: _Trip12) -> TripRecord:
    """An MDS 1.2 trip: start and end are the route's first and last points."""
    start = timestamp_ms(obj.start_time, "start_time")
    end = timestamp_ms(obj.end_time, "end_time")
    _check_trip_times(start, end, obj.trip_duration, obj.trip_distance)
    features = obj.route.features
    if len(features) < 2:
        raise RecordError("route.features", "a route needs at least the start and end points")
    points = [_feature_position(f, f"route.features[{i}]") for i, f in enumerate(features)]
    return TripRecord(
        trip_id=an_id(obj.trip_id, "trip_id"),
        device_id=an_id(obj.device_id, "device_id"),
        start_ms=start,
        end_ms=end,
        duration_s=obj.trip_duration,
        distance_m=obj.trip_distance,
        start_lon=points[0][0],
        start_lat=points[0][1],
        end_lon=points[-1][0],
        end_lat=points[-1][1],
        vehicle_id=_text(obj.vehicle_id),
        vehicle_type=(obj.vehicle_type or "")[:32] or None,
        route=points,
    )


def derived_event_id(device_id: str, timestamp: int, state: str, types: list[str]) -> str:
    """The event id Tartip gives an MDS 1.2 status change (which has none): stable across pulls."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{device_id}|{timestamp}|{state}|{','.join(types)}"))


def event_from_12(obj: _StatusChange12, *, require_trip: bool = True) -> EventRecord:
    """An MDS 1.2 status change."""
    device_id = an_id(obj.device_id, "device_id")
    moment = timestamp_ms(obj.event_time, "event_time")
    trip_ids = [an_id(obj.trip_id, "trip_id")] if obj.trip_id else []
    _event_parts(obj.vehicle_state, obj.event_types, trip_ids, require_trip=require_trip)
    lon = lat = None
    if obj.event_location is not None:
        lon, lat = _feature_position(obj.event_location, "event_location")
    battery = None
    if obj.battery_pct is not None:
        if not 0.0 <= obj.battery_pct <= 1.0:
            raise RecordError("battery_pct", f"{obj.battery_pct} is not a fraction (0–1)")
        battery = round(100 * obj.battery_pct)
    return EventRecord(
        event_id=derived_event_id(device_id, moment, obj.vehicle_state, obj.event_types),
        device_id=device_id,
        event_types=list(obj.event_types),
        vehicle_state=obj.vehicle_state,
        timestamp_ms=moment,
        lon=lon,
        lat=lat,
        trip_ids=trip_ids,
        battery_percent=battery,
        publication_ms=(
            timestamp_ms(obj.publication_time, "publication_time")
            if obj.publication_time is not None
            else None
        ),
        vehicle_id=_text(obj.vehicle_id),
        vehicle_type=(obj.vehicle_type or "")[:32] or None,
        propulsion_types=[p[:32] for p in obj.propulsion_types or []] or None,
    )


def status_from_12(obj: _Vehicle12) -> StatusRecord:
    """An MDS 1.2 ``vehicles`` record: the vehicle's properties and its last status change."""
    device_id = an_id(obj.device_id, "device_id")
    vehicle = VehicleRecord(
        device_id=device_id,
        vehicle_id=_text(obj.vehicle_id),
        provider_id=obj.provider_id.lower() if obj.provider_id else None,
        vehicle_type=(obj.vehicle_type or "")[:32] or None,
        propulsion_types=[p[:32] for p in obj.propulsion_types or []],
    )
    event = None
    if obj.last_vehicle_state and obj.last_event_types and obj.last_event_time is not None:
        change = _StatusChange12(
            device_id=device_id,
            vehicle_state=obj.last_vehicle_state,
            event_types=obj.last_event_types,
            event_time=obj.last_event_time,
            event_location=obj.current_location or obj.last_event_location,
            battery_pct=obj.battery_pct,
            trip_id=None,
        )
        try:
            # A 1.2 vehicle does not say which trip it is on: no trip id is asked for here.
            event = event_from_12(change, require_trip=False)
        except RecordError as exc:
            raise RecordError(f"last_{exc.where}", exc.message) from exc
    return StatusRecord(device_id=device_id, vehicle=vehicle, last_event=event)


# Each kind's Struct and converter, by MDS major version.
READERS_20: dict[str, tuple[type[Any], Callable[[Any], Any]]] = {
    "trips": (_Trip20, trip_from_20),
    "events": (_Event20, event_from_20),
    "telemetry": (_Telemetry20, telemetry_from_20),
    "vehicles": (_Vehicle20, vehicle_from_20),
    "vehicles_status": (_Status20, status_from_20),
}
READERS_12: dict[str, tuple[type[Any], Callable[[Any], Any]]] = {
    "trips": (_Trip12, trip_from_12),
    "events": (_StatusChange12, event_from_12),
    "status_changes": (_StatusChange12, event_from_12),
    "vehicles": (_Vehicle12, status_from_12),
}
