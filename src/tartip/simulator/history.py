"""What the simulated fleet did: MDS vehicle events and finished trips, kept for a bounded time.

The simulation calls ``History`` at every change of a vehicle's state. Nothing here draws from
the simulation's random generator, so recording never changes what the GBFS feeds show.
Records are numpy columns, grouped by UTC hour (events by their time, trips by their end), and
dropped once older than ``retention_s``: memory stays bounded however long the simulator runs.

State changes map to MDS micromobility events (``vehicle_state`` after each ``event_types``):

========================  ===================  ====================================
simulation                MDS event_types       vehicle_state (from → to)
========================  ===================  ====================================
rented                    trip_start            available/reserved → on_trip
reserved                  reservation_start     available → reserved
trip ended                trip_end              on_trip → available
broke on the street       maintenance           available → non_operational
collected (broken,        maintenance_pick_up   available/non_operational → removed
charging, handover)
moved by a night van      rebalance_pick_up     available → removed
back on the street        provider_drop_off     removed → available
========================  ===================  ====================================

A scooter that breaks at the end of a trip gets two events, ``trip_end`` then ``maintenance``
one millisecond later, rather than one event with both types: the official 2.0 schema accepts
only event types that lead into the event's final state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, Self
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from tartip.simulator.places import BoolArray, FloatArray, IntArray

Int8Array = npt.NDArray[np.int8]
Float32Array = npt.NDArray[np.float32]

HOUR_S = 3600
DEFAULT_RETENTION_S = 48 * 3600.0
# A trip cannot last longer than this (25 km at 10 km/h, and a margin): trips overlapping an hour
# are looked for among those that ended up to this long after it.
MAX_TRIP_S = 4 * 3600.0
# MDS reports count unique riders; riders are drawn per trip from a pool this many times the
# company's fleet, and this share of them ride on a low-income discount.
RIDERS_PER_VEHICLE = 8
LOW_INCOME_SHARE = 0.08
AFTER_TRIP_S = 0.001


class EventKind(IntEnum):
    """A kind of MDS vehicle event the simulation produces; an int to fit a numpy column."""

    trip_start = 0
    trip_end = 1
    reservation_start = 2
    maintenance = 3
    maintenance_pick_up = 4
    rebalance_pick_up = 5
    provider_drop_off = 6


# The MDS ``vehicle_state`` each kind of event leads to.
KIND_STATE = (
    "on_trip",
    "available",
    "reserved",
    "non_operational",
    "removed",
    "removed",
    "available",
)
TRIP_KINDS = (EventKind.trip_start, EventKind.trip_end)


def _concat(parts: list[Any], cls: type[Any]) -> Any:
    """Columns of ``cls`` joined from ``parts`` (one empty set when there are none)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return cls.empty()
    return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


@dataclass(frozen=True)
class Events:
    """Vehicle events as columns; ``serial`` orders them as they were recorded."""

    serial: IntArray  # negative: a vehicle's state at the start (before the log began)
    vehicle: IntArray
    t: FloatArray  # POSIX seconds, millisecond precision
    kind: Int8Array
    lon: FloatArray
    lat: FloatArray
    charge: Float32Array  # battery, 0..1
    trip: IntArray  # trip serial for trip events, else -1

    @classmethod
    def empty(cls) -> Self:
        """No events."""
        i, f = np.zeros(0, np.int64), np.zeros(0)
        return cls(i, i, f, np.zeros(0, np.int8), f, f, np.zeros(0, np.float32), i)

    def __len__(self) -> int:
        return len(self.serial)

    def take(self, index: IntArray | BoolArray) -> Self:
        """The events selected by a mask or by positions."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


@dataclass(frozen=True)
class Trips:
    """Finished trips as columns; ``seq`` orders them as they ended (were logged)."""

    serial: IntArray  # the trip's number: trip_id
    seq: IntArray
    vehicle: IntArray
    start_t: FloatArray
    end_t: FloatArray
    start_lon: FloatArray
    start_lat: FloatArray
    end_lon: FloatArray
    end_lat: FloatArray
    metres: FloatArray  # ridden distance, streets included
    start_charge: Float32Array
    end_charge: Float32Array

    @classmethod
    def empty(cls) -> Self:
        """No trips."""
        i, f, c = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.float32)
        return cls(i, i, i, f, f, f, f, f, f, f, c, c)

    def __len__(self) -> int:
        return len(self.serial)

    def take(self, index: IntArray | BoolArray) -> Self:
        """The trips selected by a mask or by positions."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def splitmix64(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A well-mixed 64-bit hash of each key (SplitMix64's finaliser), vectorised."""
    z = keys + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return mixed


@dataclass(frozen=True)
class MonthFigures:
    """One company's trips in one local month, as MDS reports count them."""

    trips: int
    riders: int
    low_income_trips: int
    low_income_riders: int


class MonthlyTrips:
    """Trips per company and month (city time, by start) and the riders who took them."""

    def __init__(self, seed: int, fleet_sizes: tuple[int, ...], timezone: ZoneInfo) -> None:
        self._salt = np.uint64(seed & 0xFFFFFFFF) << np.uint64(32)
        self._pool = [max(100, RIDERS_PER_VEHICLE * size) for size in fleet_sizes]
        self._tz = timezone
        self._trips: dict[tuple[int, str], list[int]] = {}
        self._riders: dict[tuple[int, str], BoolArray] = {}
        # The local month last counted, as [start, end) POSIX seconds: most calls fall in it.
        self._month = ("", 0.0, 0.0)

    def month_of(self, t: float) -> str:
        """``YYYY-MM`` of POSIX time ``t`` in city time."""
        return datetime.fromtimestamp(t, self._tz).strftime("%Y-%m")

    def _month_span(self, t: float) -> tuple[str, float, float]:
        local = datetime.fromtimestamp(t, self._tz)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = (first + timedelta(days=32)).replace(day=1)
        return first.strftime("%Y-%m"), first.timestamp(), following.timestamp()

    def count(self, companies: IntArray, serials: IntArray, at: FloatArray) -> None:
        """Count trips starting at ``at``; each trip's rider is drawn from its serial."""
        month, start, end = self._month
        if not (start <= at.min() and at.max() < end):
            for t in np.unique(np.floor(at / HOUR_S)).tolist():
                month, start, end = self._month = self._month_span(t * HOUR_S)
                inside = (at >= start) & (at < end)
                self.count(companies[inside], serials[inside], at[inside])
            return
        draws = splitmix64(serials.astype(np.uint64) ^ self._salt)
        for company in range(len(self._pool)):
            chosen = companies == company
            if not chosen.any():
                continue
            pool = self._pool[company]
            riders = (draws[chosen] % np.uint64(pool)).astype(np.int64)
            key = (company, month)
            counts = self._trips.setdefault(key, [0, 0])
            counts[0] += len(riders)
            counts[1] += int((riders < LOW_INCOME_SHARE * pool).sum())
            seen = self._riders.setdefault(key, np.zeros(pool, np.bool_))
            seen[riders] = True

    def figures(self, company: int, month: str) -> MonthFigures | None:
        """The month's figures for ``company``, or None when it had no trips then."""
        counts = self._trips.get((company, month))
        if counts is None:
            return None
        seen = self._riders[(company, month)]
        low = math.ceil(LOW_INCOME_SHARE * len(seen))
        return MonthFigures(counts[0], int(seen.sum()), counts[1], int(seen[:low].sum()))


class History:
    """The event and trip log of a simulation, with each vehicle's trip and last event."""

    def __init__(
        self,
        *,
        seed: int,
        company: IntArray,
        fleet_sizes: tuple[int, ...],
        timezone: ZoneInfo,
        start: float,
        retention_s: float = DEFAULT_RETENTION_S,
    ) -> None:
        n = len(company)
        self.start = start
        self.retention_s = retention_s
        self._company = company
        # The trip each vehicle is on (-1: none), with where and when it began.
        self.trip = np.full(n, -1, np.int64)
        self.trip_start_t = np.zeros(n)
        self.trip_start_lon = np.zeros(n)
        self.trip_start_lat = np.zeros(n)
        self.trip_metres = np.zeros(n)
        self.trip_start_charge = np.zeros(n, np.float32)
        # Each vehicle's last event; before its first one, its state at the start.
        self.last_serial = -1 - np.arange(n, dtype=np.int64)
        self.last_kind = np.zeros(n, np.int8)
        self.last_t = np.zeros(n)
        self.last_lon = np.zeros(n)
        self.last_lat = np.zeros(n)
        self.last_charge = np.zeros(n, np.float32)
        self.last_trip = np.full(n, -1, np.int64)
        self.initial = Events.empty()
        self.next_event = 0
        self.next_trip = 0
        self._next_seq = 0
        self._pending_events: list[Events] = []
        self._pending_trips: list[Trips] = []
        self._event_hours: dict[int, list[Events]] = {}
        self._trip_hours: dict[int, list[Trips]] = {}
        self._dirty: set[tuple[str, int]] = set()
        self.recorded_until = start
        self._hour = math.floor(start / HOUR_S)
        self.months = MonthlyTrips(seed, fleet_sizes, timezone)

    # -- recording -----------------------------------------------------------------------------

    def record(
        self,
        kind: EventKind,
        vehicles: IntArray,
        at: FloatArray | float,
        lon: FloatArray,
        lat: FloatArray,
        charge: FloatArray,
    ) -> None:
        """Log one event of ``kind`` per vehicle (positions and charge as of the event)."""
        n = len(vehicles)
        if n == 0:
            return
        serial = np.arange(self.next_event, self.next_event + n, dtype=np.int64)
        self.next_event += n
        events = Events(
            serial=serial,
            vehicle=vehicles.astype(np.int64),
            t=np.full(n, at, dtype=np.float64).round(3),
            kind=np.full(n, int(kind), np.int8),
            lon=np.array(lon, dtype=np.float64),
            lat=np.array(lat, dtype=np.float64),
            charge=np.asarray(charge, dtype=np.float32),
            trip=self.trip[vehicles].copy(),
        )
        self._pending_events.append(events)
        self._set_last(events)

    def _set_last(self, events: Events) -> None:
        v = events.vehicle
        self.last_serial[v] = events.serial
        self.last_kind[v] = events.kind
        self.last_t[v] = events.t
        self.last_lon[v] = events.lon
        self.last_lat[v] = events.lat
        self.last_charge[v] = events.charge
        self.last_trip[v] = events.trip

    def start_trips(
        self,
        vehicles: IntArray,
        at: FloatArray,
        *,
        lon: FloatArray,
        lat: FloatArray,
        metres: FloatArray,
        charge: FloatArray,
        before_start: bool = False,
    ) -> None:
        """Vehicles set off on trips; ``before_start``: riders already out when the log began."""
        n = len(vehicles)
        if n == 0:
            return
        serials = np.arange(self.next_trip, self.next_trip + n, dtype=np.int64)
        self.next_trip += n
        self.trip[vehicles] = serials
        self.trip_start_t[vehicles] = np.round(at, 3)
        self.trip_start_lon[vehicles] = lon
        self.trip_start_lat[vehicles] = lat
        self.trip_metres[vehicles] = metres
        self.trip_start_charge[vehicles] = charge
        self.months.count(self._company[vehicles], serials, at)
        if not before_start:
            self.record(EventKind.trip_start, vehicles, at, lon, lat, charge)
            return
        self._set_last(
            Events(
                serial=-1 - vehicles.astype(np.int64),
                vehicle=vehicles.astype(np.int64),
                t=np.round(at, 3),
                kind=np.full(n, int(EventKind.trip_start), np.int8),
                lon=np.array(lon, dtype=np.float64),
                lat=np.array(lat, dtype=np.float64),
                charge=np.asarray(charge, dtype=np.float32),
                trip=serials,
            )
        )

    def end_trips(
        self,
        vehicles: IntArray,
        at: FloatArray,
        lon: FloatArray,
        lat: FloatArray,
        charge: FloatArray,
    ) -> None:
        """Vehicles end their trips at ``at``, left at ``lon``/``lat``."""
        n = len(vehicles)
        if n == 0:
            return
        self.record(EventKind.trip_end, vehicles, at, lon, lat, charge)
        self._pending_trips.append(
            Trips(
                serial=self.trip[vehicles].copy(),
                seq=np.arange(self._next_seq, self._next_seq + n, dtype=np.int64),
                vehicle=vehicles.astype(np.int64),
                start_t=self.trip_start_t[vehicles].copy(),
                end_t=np.round(at, 3),
                start_lon=self.trip_start_lon[vehicles].copy(),
                start_lat=self.trip_start_lat[vehicles].copy(),
                end_lon=np.array(lon, dtype=np.float64),
                end_lat=np.array(lat, dtype=np.float64),
                metres=self.trip_metres[vehicles].copy(),
                start_charge=self.trip_start_charge[vehicles].copy(),
                end_charge=np.asarray(charge, dtype=np.float32),
            )
        )
        self._next_seq += n
        self.trip[vehicles] = -1

    def begin(
        self, kinds: Int8Array, t: FloatArray, lon: FloatArray, lat: FloatArray, charge: FloatArray
    ) -> None:
        """Set each vehicle's state at the start (vehicles already on a trip keep theirs)."""
        idle = np.flatnonzero(self.trip < 0)
        self._set_last(
            Events(
                serial=-1 - idle,
                vehicle=idle,
                t=np.round(t[idle], 3),
                kind=kinds[idle],
                lon=lon[idle].copy(),
                lat=lat[idle].copy(),
                charge=charge[idle].astype(np.float32),
                trip=np.full(len(idle), -1, np.int64),
            )
        )
        everyone = np.arange(len(self.trip), dtype=np.int64)
        self.initial = Events(
            serial=self.last_serial.copy(),
            vehicle=everyone,
            t=self.last_t.copy(),
            kind=self.last_kind.copy(),
            lon=self.last_lon.copy(),
            lat=self.last_lat.copy(),
            charge=self.last_charge.copy(),
            trip=self.last_trip.copy(),
        )

    def end_tick(self, t: float) -> None:
        """File this tick's records by hour, compact closed hours and drop expired ones."""
        if self._pending_events:
            self._file(_concat(self._pending_events, Events), self._event_hours, "e", "t")
            self._pending_events = []
        if self._pending_trips:
            self._file(_concat(self._pending_trips, Trips), self._trip_hours, "t", "end_t")
            self._pending_trips = []
        self.recorded_until = t
        hour = math.floor(t / HOUR_S)
        if hour == self._hour:
            return
        # Once an hour: compact the hours no tick adds to any more, drop the expired ones.
        self._hour = hour
        for key in [k for k in self._dirty if (k[1] + 1) * HOUR_S + 60 < t]:
            self._dirty.discard(key)
            buckets: dict[int, Any] = self._event_hours if key[0] == "e" else self._trip_hours
            cls = Events if key[0] == "e" else Trips
            if key[1] in buckets:
                buckets[key[1]] = [_concat(buckets[key[1]], cls)]
        oldest = self.oldest_hour(t)
        for buckets in (self._event_hours, self._trip_hours):
            for hour in [h for h in buckets if h < oldest]:
                del buckets[hour]

    def _file(self, records: Any, buckets: dict[int, list[Any]], tag: str, time: str) -> None:
        hours = np.floor(getattr(records, time) / HOUR_S).astype(np.int64)
        first, last = int(hours.min()), int(hours.max())
        for hour in range(first, last + 1):
            part = records if first == last else records.take(hours == hour)
            if len(part):
                buckets.setdefault(hour, []).append(part)
                self._dirty.add((tag, hour))

    # -- reading -------------------------------------------------------------------------------

    def oldest_hour(self, now: float) -> int:
        """The first UTC hour (POSIX hours) whose records are still kept."""
        return max(
            math.floor(self.start / HOUR_S), math.floor((now - self.retention_s) / HOUR_S) + 1
        )

    def events_between(self, t0: float, t1: float) -> Events:
        """Events with ``t0 <= t < t1``, in time order (then as recorded)."""
        parts = []
        for hour in range(math.floor(t0 / HOUR_S), math.ceil(t1 / HOUR_S)):
            for chunk in self._event_hours.get(hour, ()):
                parts.append(chunk.take((chunk.t >= t0) & (chunk.t < t1)))
        events: Events = _concat(parts, Events)
        return events.take(np.lexsort((events.serial, events.t)))

    def events_since(self, serial: int) -> Events:
        """Events recorded as number ``serial`` or later, in the order they were recorded."""
        parts = [
            chunk.take(chunk.serial >= serial)
            for chunks in self._event_hours.values()
            for chunk in chunks
            if len(chunk) and chunk.serial[-1] >= serial
        ]
        events: Events = _concat(parts, Events)
        return events.take(np.argsort(events.serial, kind="stable"))

    def trips_ended(self, t0: float, t1: float) -> Trips:
        """Trips that ended with ``t0 <= end < t1``, in the order they ended."""
        parts = []
        for hour in range(math.floor(t0 / HOUR_S), math.ceil(t1 / HOUR_S)):
            for chunk in self._trip_hours.get(hour, ()):
                parts.append(chunk.take((chunk.end_t >= t0) & (chunk.end_t < t1)))
        trips: Trips = _concat(parts, Trips)
        return trips.take(np.argsort(trips.seq, kind="stable"))

    def trips_since(self, seq: int) -> Trips:
        """Trips logged as number ``seq`` or later, in the order they ended."""
        parts = [
            chunk.take(chunk.seq >= seq)
            for chunks in self._trip_hours.values()
            for chunk in chunks
            if len(chunk) and chunk.seq[-1] >= seq
        ]
        trips: Trips = _concat(parts, Trips)
        return trips.take(np.argsort(trips.seq, kind="stable"))

    @property
    def next_trip_seq(self) -> int:
        """The ``seq`` the next finished trip will get."""
        return self._next_seq
