"""MDS records of the simulated companies (2.0, and 1.2 for older clients), built from the fleet.

Pure: no HTTP and no clock of its own. ``MdsData`` reads the simulation between two ticks: the
fleet for the present (``vehicles/status``), the ``History`` for the past (events, trips). The same
records serve the Provider endpoints and the Agency pushes, so both show the same vehicles, ids
and times as the GBFS feeds:

- a vehicle shown in GBFS is ``available``, ``reserved`` or ``non_operational`` in MDS, at the same
  position (both rounded to 6 decimals); one absent from GBFS is ``on_trip`` or ``removed``;
- ``device_id`` and ``vehicle_id`` (the printed code) never change; GBFS ids rotate after trips;
- a trip is in ``trips`` once it has ended, with the ``trip_id`` of its ``trip_start`` and
  ``trip_end`` events.

Telemetry: a riding scooter reports every ``TELEMETRY_EVERY_S`` seconds on the straight line from
start to end (the simulation has no streets), plus its start and end; every other event is also a
position report. Standing scooters' 5-minute heartbeats appear only as ``last_telemetry``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np

from tartip.simulator.fleet import VehicleState
from tartip.simulator.history import (
    KIND_STATE,
    MAX_TRIP_S,
    TRIP_KINDS,
    EventKind,
    Events,
    Float32Array,
    Trips,
)
from tartip.simulator.places import METRES_PER_DEGREE_LAT, BoolArray, FloatArray, IntArray
from tartip.simulator.scenario import CompanySpec
from tartip.simulator.simulation import HEARTBEAT_S, Simulation

VERSIONS = ("2.0", "1.2")
BODY_VERSION = {"2.0": "2.0.0", "1.2": "1.2.0"}
VEHICLE_TYPE = {"2.0": "scooter_standing", "1.2": "scooter"}
PROPULSION = ["electric"]
TELEMETRY_EVERY_S = 60.0
# MDS: removed (and elsewhere, missing) vehicles stay in vehicles/status for 90 minutes.
REMOVED_LISTED_S = 90 * 60.0
# Positions are GPS fixes of about this accuracy (MDS 1.2 trips carry it).
ACCURACY_M = 10
# MDS reports: a count below k (and zero) is written as -1 (k-anonymity).
K_ANONYMITY = 10
REPORT_COLUMNS = (
    "provider_id",
    "start_date",
    "duration",
    "special_group_type",
    "geography_id",
    "vehicle_type",
    "trip_count",
    "rider_count",
)
EVENT_TYPES = tuple([kind.name] for kind in EventKind)
STREET_STATES = (VehicleState.parked, VehicleState.reserved, VehicleState.disabled)

Record = dict[str, Any]


def ms(t: FloatArray) -> list[int]:
    """POSIX seconds as MDS timestamps (integer milliseconds)."""
    stamps: list[int] = np.round(t * 1000.0).astype(np.int64).tolist()
    return stamps


def gps(lon: float, lat: float) -> Record:
    """An MDS 2.0 GPS object."""
    return {"lat": lat, "lng": lon}


def feature_point(lon: float, lat: float, timestamp: int) -> Record:
    """An MDS 1.2 GeoJSON Point feature with its timestamp."""
    return {
        "type": "Feature",
        "properties": {"timestamp": timestamp},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def _round6(values: FloatArray) -> list[float]:
    rounded: list[float] = np.round(values, 6).tolist()
    return rounded


def _percent(charge: Float32Array | FloatArray) -> list[int]:
    percent: list[int] = np.clip(np.round(charge * 100.0), 0, 100).astype(np.int64).tolist()
    return percent


@dataclass(frozen=True)
class Points:
    """Telemetry points (position reports) as columns, in time order."""

    vehicle: IntArray
    t: FloatArray
    lon: FloatArray
    lat: FloatArray
    trip: IntArray  # the trip being ridden, or -1
    speed: FloatArray  # m/s while riding, else NaN
    heading: FloatArray  # degrees from north while riding, else NaN
    charge: Float32Array

    @classmethod
    def empty(cls) -> Self:
        """No points."""
        i, f = np.zeros(0, np.int64), np.zeros(0)
        return cls(i, f, f, f, i, f, f, np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.t)

    def take(self, index: IntArray | BoolArray) -> Self:
        """The points selected by a mask or by positions."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """The points of ``parts`` together, in time order (then by vehicle)."""
        if not parts:
            return cls.empty()
        joined = cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )
        return joined.take(np.lexsort((joined.vehicle, joined.t)))


def sample_trips(trips: Trips) -> tuple[Points, IntArray]:
    """Each trip's position reports: its start, every ``TELEMETRY_EVERY_S`` s, and its end.

    Returns the points (trip after trip, each in time order) and where each trip's points begin.
    """
    n = len(trips)
    if n == 0:
        return Points.empty(), np.zeros(1, np.int64)
    duration = np.maximum(trips.end_t - trips.start_t, 0.001)
    inner = np.maximum(np.ceil(duration / TELEMETRY_EVERY_S).astype(np.int64) - 1, 0)
    counts = inner + 2
    starts = np.concatenate([[0], np.cumsum(counts)])
    which = np.repeat(np.arange(n), counts)
    step = np.arange(starts[-1]) - starts[:-1][which]
    t = trips.start_t[which] + step * TELEMETRY_EVERY_S
    last = starts[1:] - 1
    t[last] = trips.end_t
    frac = (t - trips.start_t[which]) / duration[which]
    dlon = trips.end_lon - trips.start_lon
    dlat = trips.end_lat - trips.start_lat
    east = dlon * METRES_PER_DEGREE_LAT * np.cos(np.radians(trips.start_lat))
    heading = np.degrees(np.arctan2(east, dlat * METRES_PER_DEGREE_LAT)) % 360.0
    points = Points(
        vehicle=trips.vehicle[which],
        t=np.round(t, 3),
        lon=trips.start_lon[which] + frac * dlon[which],
        lat=trips.start_lat[which] + frac * dlat[which],
        trip=trips.serial[which],
        speed=(trips.metres / duration)[which],
        heading=heading[which],
        charge=(
            trips.start_charge[which] + (trips.end_charge - trips.start_charge)[which] * frac
        ).astype(np.float32),
    )
    return points, starts


def event_points(events: Events) -> Points:
    """A position report at each event outside a trip's start and end."""
    chosen = events.take(~np.isin(events.kind, [int(k) for k in TRIP_KINDS]))
    nan = np.full(len(chosen), np.nan)
    return Points(
        vehicle=chosen.vehicle,
        t=chosen.t,
        lon=chosen.lon,
        lat=chosen.lat,
        trip=np.full(len(chosen), -1, np.int64),
        speed=nan,
        heading=nan,
        charge=chosen.charge,
    )


class MdsData:
    """MDS records of one simulation's companies, as of its current tick."""

    def __init__(self, simulation: Simulation) -> None:
        self._sim = simulation
        self._ids = simulation.identities
        companies = simulation.scenario.companies
        self._mine = [np.flatnonzero(simulation.fleet.company == i) for i in range(len(companies))]

    # -- companies and vehicles ----------------------------------------------------------------

    def company(self, index: int) -> CompanySpec:
        """The company at ``index``."""
        return self._sim.scenario.companies[index]

    def provider_id(self, index: int) -> str:
        """The company's MDS provider_id."""
        return self._ids.provider_ids[index]

    def vehicles_of(self, index: int) -> IntArray:
        """Every vehicle of the company, in vehicle order (the order pages follow)."""
        return self._mine[index]

    def listed(self, index: int) -> IntArray:
        """The company's vehicles in ``vehicles/status``: all but those removed over 90 min ago."""
        f, mine = self._sim.fleet, self._mine[index]
        gone = (f.state[mine] == VehicleState.away) & (
            f.changed_at[mine] < self._sim.timestamp - REMOVED_LISTED_S
        )
        listed: IntArray = mine[~gone]
        return listed

    def vehicle_of(self, index: int, device_id: str) -> int | None:
        """The company's vehicle with ``device_id``, or None."""
        vehicle = self._ids.by_device(device_id)
        if vehicle is None or int(self._sim.fleet.company[vehicle]) != index:
            return None
        return vehicle

    def vehicles(self, index: int, vehicles: IntArray, version: str = "2.0") -> list[Record]:
        """MDS 2.0 Vehicle records (the vehicle's identity and type)."""
        company, provider = self.company(index), self.provider_id(index)
        devices, codes = self._ids.device_ids, self._ids.codes
        return [
            {
                "device_id": devices[v],
                "provider_id": provider,
                "vehicle_id": codes[v],
                "vehicle_type": VEHICLE_TYPE[version],
                "propulsion_types": PROPULSION,
                "maximum_speed": company.max_speed_kmh,
            }
            for v in vehicles.tolist()
        ]

    # -- events --------------------------------------------------------------------------------

    def events(self, index: int, events: Events, version: str = "2.0") -> list[Record]:
        """Event records (2.0 ``events``, 1.2 ``status_changes``) of the company's events."""
        if version == "1.2":
            return self._status_changes(index, events)
        provider, ids, devices = self.provider_id(index), self._ids, self._ids.device_ids
        records = []
        columns = zip(
            events.serial.tolist(),
            events.vehicle.tolist(),
            ms(events.t),
            events.kind.tolist(),
            _round6(events.lon),
            _round6(events.lat),
            _percent(events.charge),
            events.trip.tolist(),
            strict=True,
        )
        for serial, v, stamp, kind, lon, lat, battery, trip in columns:
            record: Record = {
                "device_id": devices[v],
                "provider_id": provider,
                "event_id": ids.event_id(serial),
                "vehicle_state": KIND_STATE[kind],
                "event_types": EVENT_TYPES[kind],
                "timestamp": stamp,
                "location": gps(lon, lat),
                "battery_percent": battery,
            }
            if kind in TRIP_KINDS:
                record["trip_ids"] = [ids.trip_id(trip)]
            records.append(record)
        return records

    def _status_changes(self, index: int, events: Events) -> list[Record]:
        """MDS 1.2 status_changes."""
        base = self._v12_vehicle_fields(index)
        devices, codes, ids = self._ids.device_ids, self._ids.codes, self._ids
        records = []
        columns = zip(
            events.vehicle.tolist(),
            ms(events.t),
            events.kind.tolist(),
            _round6(events.lon),
            _round6(events.lat),
            np.round(events.charge.astype(np.float64), 2).tolist(),
            events.trip.tolist(),
            strict=True,
        )
        for v, stamp, kind, lon, lat, charge, trip in columns:
            record: Record = {
                **base,
                "device_id": devices[v],
                "vehicle_id": codes[v],
                "vehicle_state": KIND_STATE[kind],
                "event_types": EVENT_TYPES[kind],
                "event_time": stamp,
                "event_location": feature_point(lon, lat, stamp),
                "battery_pct": charge,
            }
            if kind in TRIP_KINDS:
                record["trip_id"] = ids.trip_id(trip)
            records.append(record)
        return records

    def _v12_vehicle_fields(self, index: int) -> Record:
        return {
            "provider_name": self.company(index).name["en"],
            "provider_id": self.provider_id(index),
            "vehicle_type": VEHICLE_TYPE["1.2"],
            "propulsion_types": PROPULSION,
        }

    def company_events(self, index: int, events: Events) -> Events:
        """The events of the company's vehicles among ``events``."""
        return events.take(self._sim.fleet.company[events.vehicle] == index)

    # -- the present: vehicles/status ----------------------------------------------------------

    def last_events(self, vehicles: IntArray) -> Events:
        """Each vehicle's most recent event (before its first: its state at the start)."""
        h = self._sim.history
        return Events(
            serial=h.last_serial[vehicles],
            vehicle=vehicles,
            t=h.last_t[vehicles],
            kind=h.last_kind[vehicles],
            lon=h.last_lon[vehicles],
            lat=h.last_lat[vehicles],
            charge=h.last_charge[vehicles],
            trip=h.last_trip[vehicles],
        )

    def last_points(self, vehicles: IntArray) -> Points:
        """Each vehicle's latest position report as of now."""
        sim, f, h = self._sim, self._sim.fleet, self._sim.history
        now = sim.timestamp
        state = f.state[vehicles]
        # Standing: the 5-minute heartbeat, or the state change if later (as GBFS last_reported).
        beat = now - np.mod(now - f.heartbeat[vehicles], HEARTBEAT_S)
        t = np.floor(np.maximum(beat, f.changed_at[vehicles]))
        lon, lat = f.lon[vehicles].copy(), f.lat[vehicles].copy()
        charge = f.charge[vehicles].astype(np.float32)
        nan = np.full(len(vehicles), np.nan)
        speed, heading, trip = nan.copy(), nan.copy(), np.full(len(vehicles), -1, np.int64)
        away = state == VehicleState.away
        t[away], lon[away], lat[away] = (
            h.last_t[vehicles[away]],
            h.last_lon[vehicles[away]],
            h.last_lat[vehicles[away]],
        )
        riding = np.flatnonzero(state == VehicleState.on_trip)
        if len(riding):
            points, starts = sample_trips(self.open_trips(vehicles[riding]))
            # The last report on the trip's grid that is not in the future.
            step = np.floor((now - h.trip_start_t[vehicles[riding]]) / TELEMETRY_EVERY_S)
            pick = np.minimum(starts[:-1] + step.astype(np.int64), starts[1:] - 1)
            pick = np.where(points.t[pick] > now, np.maximum(pick - 1, starts[:-1]), pick)
            got = points.take(pick)
            t[riding], lon[riding], lat[riding] = got.t, got.lon, got.lat
            speed[riding], heading[riding], trip[riding] = got.speed, got.heading, got.trip
            charge[riding] = got.charge
        return Points(vehicles, t, lon, lat, trip, speed, heading, charge)

    def open_trips(self, vehicles: IntArray) -> Trips:
        """The trips ``vehicles`` are on now, as planned (the simulation draws the end at start)."""
        f, h = self._sim.fleet, self._sim.history
        return Trips(
            serial=h.trip[vehicles],
            seq=np.full(len(vehicles), -1, np.int64),
            vehicle=vehicles,
            start_t=h.trip_start_t[vehicles],
            end_t=np.round(f.until[vehicles], 3),
            start_lon=h.trip_start_lon[vehicles],
            start_lat=h.trip_start_lat[vehicles],
            end_lon=f.lon[vehicles],
            end_lat=f.lat[vehicles],
            metres=h.trip_metres[vehicles],
            start_charge=h.trip_start_charge[vehicles],
            end_charge=f.charge[vehicles].astype(np.float32),
        )

    def status(self, index: int, vehicles: IntArray, version: str = "2.0") -> list[Record]:
        """Vehicle status records (2.0 ``vehicles_status``, 1.2 ``vehicles``) of ``vehicles``."""
        events = self.last_events(vehicles)
        if version == "1.2":
            return self._v12_status(index, events)
        provider, devices = self.provider_id(index), self._ids.device_ids
        last_events = self.events(index, events)
        last_points = self.telemetry(index, self.last_points(vehicles))
        return [
            {
                "device_id": devices[v],
                "provider_id": provider,
                "last_event": event,
                "last_telemetry": point,
            }
            for v, event, point in zip(vehicles.tolist(), last_events, last_points, strict=True)
        ]

    def _v12_status(self, index: int, events: Events) -> list[Record]:
        """MDS 1.2 ``vehicles``: each vehicle with its last state change."""
        base = self._v12_vehicle_fields(index)
        devices, codes = self._ids.device_ids, self._ids.codes
        charge = np.round(self._sim.fleet.charge[events.vehicle], 2).tolist()
        columns = zip(
            events.vehicle.tolist(),
            ms(events.t),
            events.kind.tolist(),
            _round6(events.lon),
            _round6(events.lat),
            charge,
            strict=True,
        )
        return [
            {
                **base,
                "device_id": devices[v],
                "vehicle_id": codes[v],
                "last_event_time": stamp,
                "last_vehicle_state": KIND_STATE[kind],
                "last_event_types": EVENT_TYPES[kind],
                "last_event_location": feature_point(lon, lat, stamp),
                "battery_pct": battery,
            }
            for v, stamp, kind, lon, lat, battery in columns
        ]

    # -- telemetry -----------------------------------------------------------------------------

    def telemetry_points(self, index: int, t0: float, t1: float) -> Points:
        """The company's position reports with ``t0 <= t < t1`` (trips still going included)."""
        sim, h = self._sim, self._sim.history
        ended = h.trips_ended(t0, t1 + MAX_TRIP_S)
        ended = ended.take((ended.start_t < t1) & (sim.fleet.company[ended.vehicle] == index))
        mine = self._mine[index]
        riding = mine[(h.trip[mine] >= 0) & (h.trip_start_t[mine] < t1)]
        parts = [sample_trips(trips)[0] for trips in (ended, self.open_trips(riding))]
        parts.append(event_points(self.company_events(index, h.events_between(t0, t1))))
        points = Points.concat(parts)
        return points.take((points.t >= t0) & (points.t < t1))

    def telemetry(self, index: int, points: Points) -> list[Record]:
        """MDS 2.0 Telemetry records of ``points``."""
        provider, ids, devices = self.provider_id(index), self._ids, self._ids.device_ids
        speed = np.round(points.speed, 2)
        heading = np.round(points.heading, 1)
        columns = zip(
            points.vehicle.tolist(),
            ms(points.t),
            _round6(points.lon),
            _round6(points.lat),
            points.trip.tolist(),
            speed.tolist(),
            heading.tolist(),
            _percent(points.charge),
            strict=True,
        )
        records = []
        for v, stamp, lon, lat, trip, v_ms, bearing, battery in columns:
            location = gps(lon, lat)
            if trip >= 0:
                location["speed"] = v_ms
                location["heading"] = bearing
            records.append(
                {
                    "device_id": devices[v],
                    "provider_id": provider,
                    "telemetry_id": ids.telemetry_id(v, stamp),
                    "timestamp": stamp,
                    "trip_ids": [ids.trip_id(trip)] if trip >= 0 else None,
                    "journey_id": None,
                    "location": location,
                    "battery_percent": battery,
                }
            )
        return records

    # -- trips ---------------------------------------------------------------------------------

    def company_trips(self, index: int, trips: Trips) -> Trips:
        """The trips of the company's vehicles among ``trips``."""
        return trips.take(self._sim.fleet.company[trips.vehicle] == index)

    def trips(self, index: int, trips: Trips, version: str = "2.0") -> list[Record]:
        """Trip records of the company's finished ``trips``."""
        company, provider = self.company(index), self.provider_id(index)
        ids, devices = self._ids, self._ids.device_ids
        start_ms, end_ms = ms(trips.start_t), ms(trips.end_t)
        durations = [max((e - s) // 1000, 0) for s, e in zip(start_ms, end_ms, strict=True)]
        metres = np.round(trips.metres).astype(np.int64).tolist()
        columns = zip(
            trips.serial.tolist(),
            trips.vehicle.tolist(),
            start_ms,
            end_ms,
            durations,
            metres,
            _round6(trips.start_lon),
            _round6(trips.start_lat),
            _round6(trips.end_lon),
            _round6(trips.end_lat),
            strict=True,
        )
        routes = self._routes(trips) if version == "1.2" else None
        records = []
        for i, (serial, v, start, end, seconds, distance, lon0, lat0, lon1, lat1) in enumerate(
            columns
        ):
            # A simulated tariff in tiyn (1/100 tenge): MDS costs are in the currency's minor unit.
            cost = round(
                100 * (company.unlock_kzt + company.per_minute_kzt * math.ceil(seconds / 60))
            )
            if routes is None:
                record: Record = {
                    "provider_id": provider,
                    "device_id": devices[v],
                    "trip_id": ids.trip_id(serial),
                    "trip_type": ["rider"],
                    "start_time": start,
                    "end_time": end,
                    "start_location": gps(lon0, lat0),
                    "end_location": gps(lon1, lat1),
                    "duration": seconds,
                    "distance": distance,
                }
            else:
                record = {
                    **self._v12_vehicle_fields(index),
                    "device_id": devices[v],
                    "vehicle_id": ids.codes[v],
                    "trip_id": ids.trip_id(serial),
                    "trip_duration": seconds,
                    "trip_distance": distance,
                    "route": routes[i],
                    "accuracy": ACCURACY_M,
                    "start_time": start,
                    "end_time": end,
                }
            record |= {"standard_cost": cost, "actual_cost": cost, "currency": "KZT"}
            records.append(record)
        return records

    def _routes(self, trips: Trips) -> list[Record]:
        """MDS 1.2 routes: each trip's position reports as a FeatureCollection of points."""
        points, starts = sample_trips(trips)
        features = [
            {
                "type": "Feature",
                "properties": {"timestamp": stamp},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
            for stamp, lon, lat in zip(
                ms(points.t), _round6(points.lon), _round6(points.lat), strict=True
            )
        ]
        return [
            {"type": "FeatureCollection", "features": features[a:b]}
            for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)
        ]

    # -- reports -------------------------------------------------------------------------------

    def report(self, index: int, month: str) -> str | None:
        """The MDS 2.0 monthly report (CSV) of ``month`` (``YYYY-MM``), or None without trips.

        No Geography is shared with the simulated companies, so ``geography_id`` is empty (null)
        and the counts cover the whole city; counts under k = 10 are written as -1.
        """
        figures = self._sim.history.months.figures(index, month)
        if figures is None:
            return None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        rows = (
            ("all_riders", figures.trips, figures.riders),
            ("low_income", figures.low_income_trips, figures.low_income_riders),
        )
        for group, trips, riders in rows:
            writer.writerow(
                [
                    self.provider_id(index),
                    f"{month}-01",
                    "P1M",
                    group,
                    "",
                    VEHICLE_TYPE["2.0"],
                    trips if trips >= K_ANONYMITY else -1,
                    riders if riders >= K_ANONYMITY else -1,
                ]
            )
        return out.getvalue()
