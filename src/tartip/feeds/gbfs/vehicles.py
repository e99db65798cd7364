"""Vehicle documents (``free_bike_status`` ≤2.3, ``vehicle_status`` 3.0) to ``VehicleObservation``s.

Reading happens in two steps so that an unchanged document costs little (decision record 0005):

1. ``read_envelope`` decodes the stamps (``last_updated``, ``ttl``, ``version``) and cuts the
   record array into raw byte slices (``msgspec.Raw``) without building any record (≈7 ms for
   30,000 vehicles). If ``last_updated`` did not change, the caller stops here; the slices also
   feed the sampled schema check.
2. ``read_records`` decodes the whole document once with a typed, lax ``msgspec`` Struct that
   builds only the fields Tartip uses (≈15 ms), then normalises each record. If that decode fails,
   the slices are decoded one by one (≈29 ms), so a bad record is rejected with its JSON path and
   reason and never takes the others down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from tartip.core.errors import FeedMalformed, Problem
from tartip.feeds.gbfs.values import (
    check_is_json,
    declared_version,
    json_error_message,
    strip_bom,
    time_or_none,
    ttl_of,
)
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.live import VehicleObservation

# The record array's key, and the file it belongs to.
RECORD_KEYS = {"bikes": "free_bike_status", "vehicles": "vehicle_status"}
# How many forgiven quirks (e.g. an unreadable last_reported) are listed; all are counted.
MAX_NOTES = 20
_MS_THRESHOLD = 1e11  # POSIX times above this are milliseconds
_AT = re.compile(r" - at `\$(.*)`$")
_AVAILABLE, _RESERVED, _DISABLED = (
    VehicleStatus.available,
    VehicleStatus.reserved,
    VehicleStatus.disabled,
)


class _Record(msgspec.Struct, gc=False):
    """The fields of one vehicle record Tartip uses; everything else is skipped unparsed."""

    bike_id: str | int | None = None
    vehicle_id: str | int | None = None
    lat: float | None = None
    lon: float | None = None
    is_reserved: bool | None = None
    is_disabled: bool | None = None
    vehicle_type_id: str | int | None = None
    current_range_meters: float | None = None
    current_fuel_percent: float | None = None
    station_id: str | int | None = None
    last_reported: int | float | str | None = None


class _RawData(msgspec.Struct):
    bikes: list[Raw] | None | UnsetType = UNSET
    vehicles: list[Raw] | None | UnsetType = UNSET


class _RawEnvelope(msgspec.Struct):
    data: _RawData
    last_updated: Any = UNSET
    ttl: Any = UNSET
    version: Any = UNSET


class _Data(msgspec.Struct):
    bikes: list[_Record] | None = None
    vehicles: list[_Record] | None = None


class _Document(msgspec.Struct):
    data: _Data


# Lax decoding: "43.25" reads as a float and 0/1 as booleans (GBFS 1.x), as real feeds need.
_RECORD = msgspec.json.Decoder(_Record, strict=False)
_DOCUMENT = msgspec.json.Decoder(_Document, strict=False)
_ENVELOPE = msgspec.json.Decoder(_RawEnvelope)


@dataclass
class VehicleEnvelope:
    """A vehicle document's stamps and its records as raw JSON slices, not yet decoded."""

    file: str
    records_key: str
    version: str | None
    last_updated: float | None
    ttl: int | None
    raws: list[Raw]
    # The top-level fields as given (no ``data``), for the schema check.
    header: dict[str, Any]
    body: bytes = b""
    problems: list[Problem] = field(default_factory=list)

    def records_path(self) -> str:
        """The JSON path of the record array, e.g. ``data.bikes``."""
        return f"data.{self.records_key}"


@dataclass
class VehicleRecords:
    """The usable vehicles of one document, and why the others were rejected."""

    observations: list[VehicleObservation]
    rejected: list[Problem]
    notes: list[Problem]
    notes_total: int = 0


def read_envelope(body: bytes, *, content_type: str | None = None) -> VehicleEnvelope:
    """The stamps and raw records of a vehicle document, or ``FeedMalformed`` saying why not."""
    check_is_json(body, content_type=content_type)
    body = strip_bom(body)
    try:
        raw = _ENVELOPE.decode(body)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: caught first
        raise FeedMalformed(f"not a GBFS vehicle document: {_where_text(str(exc))}") from exc
    except msgspec.DecodeError as exc:
        raise FeedMalformed(json_error_message(body, exc)) from exc
    key, raws = _record_array(raw.data)
    header = {
        name: value
        for name, value in (
            ("last_updated", raw.last_updated),
            ("ttl", raw.ttl),
            ("version", raw.version),
        )
        if value is not UNSET
    }
    envelope = VehicleEnvelope(
        file=RECORD_KEYS[key],
        records_key=key,
        version=declared_version(header.get("version")),
        last_updated=time_or_none(header.get("last_updated")),
        ttl=ttl_of(header.get("ttl")),
        raws=raws,
        header=header,
        body=body,
    )
    envelope.problems.extend(_envelope_notes(envelope))
    return envelope


def _record_array(data: _RawData) -> tuple[str, list[Raw]]:
    if isinstance(data.vehicles, list):
        return "vehicles", data.vehicles
    if isinstance(data.bikes, list):
        return "bikes", data.bikes
    raise FeedMalformed(
        "not a GBFS vehicle document: data has neither bikes (≤2.3) nor vehicles (3.0)"
    )


def _envelope_notes(envelope: VehicleEnvelope) -> list[Problem]:
    notes = []
    stamp = envelope.header.get("last_updated")
    if stamp is not None and envelope.last_updated is None:
        notes.append(Problem("last_updated", f"unreadable time {stamp!r}; ignored"))
    declared = envelope.version or ""
    if declared.startswith("3") and envelope.records_key == "bikes":
        notes.append(Problem("version", f"declares {declared} but lists data.bikes as ≤2.3 does"))
    if declared[:1] in {"1", "2"} and envelope.records_key == "vehicles":
        notes.append(Problem("version", f"declares {declared} but lists data.vehicles as 3.0 does"))
    return notes


def read_records(
    envelope: VehicleEnvelope, *, stations: Mapping[str, tuple[float, float]] | None = None
) -> VehicleRecords:
    """Decode and normalise every record; bad ones are rejected with their path and reason."""
    path = envelope.records_path()
    rejected: list[Problem] = []
    times: dict[str, float | None] = {}
    records = _decode_all(envelope, path, rejected)
    observations, unreadable = _normalise_all(records, times)
    if len(observations) < len(records):
        # Some records need more than the fast path gives: go through them again, one by one.
        observations, unreadable = [], []
        for index, record in enumerate(records):
            if record is None:
                continue
            result = _normalise(record, stations, times)
            if isinstance(result, tuple):
                rejected.append(Problem(f"{path}[{index}]{result[0]}", result[1]))
                continue
            if record.last_reported is not None and result.last_reported is None:
                unreadable.append(index)
            observations.append(result)
    notes = [Problem(f"{path}[{i}].last_reported", "unreadable time; ignored") for i in unreadable]
    if len({o.vehicle_id for o in observations}) != len(observations):
        observations = _drop_duplicates(observations, records, path, rejected)
    rejected.sort(key=lambda p: _index_of(p.where))
    return VehicleRecords(observations, rejected, notes[:MAX_NOTES], notes_total=len(notes))


def _normalise_all(
    records: list[_Record | None], times: dict[str, float | None]
) -> tuple[list[VehicleObservation], list[int]]:
    """The records usable as they stand, and where ``last_reported`` was unreadable.

    The same rules as ``_normalise``, inlined: a function call per record costs a third of the
    time at 30,000 vehicles. Records that need more (a station's position, a reason to reject)
    are skipped, and the caller then takes the slow path.
    """
    out: list[VehicleObservation] = []
    unreadable: list[int] = []
    append, observation = out.append, VehicleObservation
    available, reserved, disabled = _AVAILABLE, _RESERVED, _DISABLED
    for index, record in enumerate(records):
        if record is None:
            continue
        vehicle_id = record.vehicle_id if record.vehicle_id is not None else record.bike_id
        lat, lon = record.lat, record.lon
        if (
            vehicle_id is None
            or lat is None
            or lon is None
            or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)
            or (lat == 0.0 and lon == 0.0)
        ):
            continue
        reported = record.last_reported
        if type(reported) is not int or not 0 <= reported < _MS_THRESHOLD:
            reported = _reported(reported, times)
            if reported is None and record.last_reported is not None:
                unreadable.append(index)
        type_id, station_id = record.vehicle_type_id, record.station_id
        append(
            observation(
                vehicle_id if type(vehicle_id) is str else str(vehicle_id),
                lon,
                lat,
                disabled if record.is_disabled else (reserved if record.is_reserved else available),
                type_id if type_id is None or type(type_id) is str else str(type_id),
                record.current_range_meters,
                record.current_fuel_percent,
                station_id if station_id is None or type(station_id) is str else str(station_id),
                reported,
            )
        )
    return out, unreadable


def _decode_all(
    envelope: VehicleEnvelope, path: str, rejected: list[Problem]
) -> list[_Record | None]:
    """Every record decoded (None where it could not be), one decode for the whole document.

    Only when that fails (some record has a wrong type) are the records decoded one by one, so
    that the bad ones are rejected with their path and the good ones kept.
    """
    if envelope.body:
        try:
            data = _DOCUMENT.decode(envelope.body).data
            records = data.vehicles if envelope.records_key == "vehicles" else data.bikes
            if records is not None:
                return list(records)
        except msgspec.ValidationError:
            pass
    decoded: list[_Record | None] = []
    for index, raw in enumerate(envelope.raws):
        try:
            decoded.append(_RECORD.decode(raw))
        except msgspec.ValidationError as exc:
            rejected.append(_decode_problem(f"{path}[{index}]", str(exc)))
            decoded.append(None)
    return decoded


def _drop_duplicates(
    observations: list[VehicleObservation],
    records: list[_Record | None],
    path: str,
    rejected: list[Problem],
) -> list[VehicleObservation]:
    # Rare, so the records' positions are worked out only here: those neither undecodable nor
    # rejected, in order, are exactly the observations.
    dropped = {_index_of(p.where) for p in rejected}
    positions = [i for i, r in enumerate(records) if r is not None and i not in dropped]
    first: dict[str, int] = {}
    kept = []
    for obs, index in zip(observations, positions, strict=True):
        seen_at = first.setdefault(obs.vehicle_id, index)
        if seen_at == index:
            kept.append(obs)
            continue
        message = f"duplicate vehicle id {obs.vehicle_id!r} (first at {path}[{seen_at}])"
        rejected.append(Problem(f"{path}[{index}]", message))
    return kept


def _index_of(where: str) -> int:
    start = where.find("[") + 1
    return int(where[start : where.index("]", start)]) if start else -1


def _normalise(
    record: _Record,
    stations: Mapping[str, tuple[float, float]] | None,
    times: dict[str, float | None],
) -> VehicleObservation | tuple[str, str]:
    """One record as an observation, or ``(sub-path, reason)`` why it cannot be used."""
    vehicle_id = record.vehicle_id if record.vehicle_id is not None else record.bike_id
    if vehicle_id is None:
        return "", "no vehicle id (bike_id ≤2.3, vehicle_id 3.0)"
    station_id = record.station_id
    if station_id is not None and type(station_id) is not str:
        station_id = str(station_id)
    lat, lon = record.lat, record.lon
    if lat is None or lon is None:
        place = stations.get(station_id) if stations is not None and station_id else None
        if place is None:
            return ".lat", "no position: lat/lon missing and no known station"
        lon, lat = place
    # Comparisons are False for NaN, so NaN is caught by the range checks too.
    if not -90.0 <= lat <= 90.0:
        return ".lat", f"latitude {lat} is outside -90…90"
    if not -180.0 <= lon <= 180.0:
        return ".lon", f"longitude {lon} is outside -180…180"
    if lat == 0.0 and lon == 0.0:
        return "", "position 0,0 is not a real place (no GPS fix)"
    type_id = record.vehicle_type_id
    reported = record.last_reported
    if type(reported) is not int or not 0 <= reported < _MS_THRESHOLD:
        reported = _reported(reported, times)  # the common case (≤2.3 seconds) needs no call
    return VehicleObservation(
        vehicle_id if type(vehicle_id) is str else str(vehicle_id),
        lon,
        lat,
        _DISABLED if record.is_disabled else (_RESERVED if record.is_reserved else _AVAILABLE),
        type_id if type_id is None or type(type_id) is str else str(type_id),
        record.current_range_meters,
        record.current_fuel_percent,
        station_id,
        reported,
    )


def _reported(value: int | float | str | None, times: dict[str, float | None]) -> float | None:
    if type(value) is int or type(value) is float:
        # The common case (≤2.3 POSIX seconds) without a call; NaN and negatives give None.
        if 0 <= value < _MS_THRESHOLD:
            return float(value)
        return value / 1000 if value >= _MS_THRESHOLD else None
    if type(value) is str:
        # 3.0 writes RFC 3339 strings; many vehicles share one, so each is parsed once.
        if value not in times:
            times[value] = time_or_none(value)
        return times[value]
    return None


def _decode_problem(where: str, message: str) -> Problem:
    match = _AT.search(message)
    if match is None:
        return Problem(where, message)
    return Problem(where + match.group(1), message[: match.start()])


def _where_text(message: str) -> str:
    match = _AT.search(message)
    if match is None:
        return message
    return f"{message[: match.start()]} at {match.group(1).lstrip('.') or 'the top level'}"
