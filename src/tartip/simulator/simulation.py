"""The pure simulation core: a seeded fleet driven by an explicit simulated clock.

``Simulation(scenario, seed=…, vehicles=…, start=…)`` knows nothing of wall-clock time or HTTP.
It advances in fixed ticks from ``start``; the state after tick ``k`` depends only on the
scenario, the seed, the fleet size, ``start`` and ``tick_s``, never on how ``advance_to`` or
``step`` were called to get there, so the same inputs give byte-identical feeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from tartip.simulator.documents import FeedRenderer
from tartip.simulator.fleet import Fleet, IdMint, VehicleState, split_fleet
from tartip.simulator.history import AFTER_TRIP_S, DEFAULT_RETENTION_S, EventKind, History
from tartip.simulator.identity import Identities
from tartip.simulator.movement import TripPlanner
from tartip.simulator.operations import SLOT_S, Crews, OperationStats
from tartip.simulator.places import BoolArray, FloatArray, IntArray
from tartip.simulator.rhythm import day_phase, trips_per_second
from tartip.simulator.scenario import CompanySpec, Scenario

TICK_S = 10.0
# Parked scooters send a status report every 5 minutes; GBFS last_reported shows the latest.
HEARTBEAT_S = 300.0
RESERVE_SHARE = 0.12
RESERVE_S = (60.0, 600.0)
RIDE_SPEED_KMH = (10.0, 17.0)
UNLOCK_AND_PARK_S = (60.0, 180.0)
BREAK_PER_TRIP = 0.006
BREAK_PER_PARKED_DAY = 0.003
COLLECT_AFTER_S = (2 * 3600.0, 10 * 3600.0)
REPAIR_S = (8 * 3600.0, 36 * 3600.0)
MAX_VEHICLES = 300_000
# The street at start: shares broken and in depots, and the mean trip (to count riders now).
START_BROKEN_SHARE = 0.01
START_AWAY_SHARE = 0.02
MEAN_TRIP_S = 720.0


@dataclass
class TripStats:
    """Counters of riders' trips and breakdowns since the simulation started."""

    trips_started: int = 0
    trips_ended: int = 0
    breakdowns: int = 0
    collected_broken: int = 0
    returned: int = 0
    collected_on_request: int = 0


class OrderStatus:
    """Where a collection ordered from outside (a damage handover) stands."""

    scheduled = "scheduled"  # waiting for its time
    waiting = "waiting"  # due, but the vehicle is ridden or reserved: collected once it stands
    collected = "collected"  # taken off the street (MDS maintenance_pick_up)
    already_off_street = "already_off_street"  # the company's crews had taken it already
    cancelled = "cancelled"  # withdrawn before it was done


@dataclass
class CollectionOrder:
    """A request to collect one vehicle at ``due`` (simulated POSIX seconds)."""

    vehicle: int
    due: float
    status: str = OrderStatus.scheduled
    done_at: float | None = None
    returns_at: float | None = field(default=None)


@dataclass
class TripStart:
    """Where and how charged vehicles set off, and how far their trips will be."""

    lon: FloatArray
    lat: FloatArray
    metres: FloatArray
    charge: FloatArray


@dataclass(frozen=True)
class VehicleView:
    """What one company's feed shows at one moment: its parked, reserved and broken vehicles."""

    company: CompanySpec
    at: float
    ids: list[str]
    lon: FloatArray
    lat: FloatArray
    reserved: BoolArray
    disabled: BoolArray
    charge: FloatArray
    last_reported: IntArray
    station: IntArray


class Simulation:
    """Seeded scooters of every company in a scenario, moving on a simulated clock."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        vehicles: int,
        start: datetime,
        tick_s: float = TICK_S,
        history_s: float = DEFAULT_RETENTION_S,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        if not 1 <= vehicles <= MAX_VEHICLES:
            raise ValueError(f"vehicles must be between 1 and {MAX_VEHICLES}")
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        self.scenario = scenario
        self.seed = seed
        self.vehicles = vehicles
        self.tick_s = float(tick_s)
        self.start = start.replace(microsecond=0)
        self.tick = 0
        self._t = self.start.timestamp()
        self._clock = self._t
        self._tz = ZoneInfo(scenario.timezone)
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._mint = IdMint(seed)
        self.planner = TripPlanner(scenario)
        shares = [c.fleet_share for c in scenario.companies]
        counts = split_fleet(vehicles, shares)
        self.fleet = Fleet.empty(np.repeat(np.arange(len(counts)), counts))
        self.fleet_counts = tuple(counts)
        self.daily_trips = scenario.trips_per_vehicle_day * vehicles
        self.stats = TripStats()
        self.identities = Identities(seed, scenario.companies, self.fleet.company)
        self.history = History(
            seed=seed,
            company=self.fleet.company,
            fleet_sizes=self.fleet_counts,
            timezone=self._tz,
            start=self._t,
            retention_s=history_s,
        )
        self._crews = Crews(scenario.companies, self.planner, self.fleet, self.history)
        self._slot = int(self._t // SLOT_S)
        self._views: dict[int, VehicleView] = {}
        # Collections ordered from outside draw from their own generator: the main one's draws,
        # and so the feeds, stay the same until such an order actually changes the street.
        self._orders: list[CollectionOrder] = []
        self._order_rng = np.random.Generator(np.random.PCG64([seed, 1]))
        self._populate()

    @property
    def timestamp(self) -> float:
        """Simulated time of the current state (the last tick), POSIX seconds."""
        return self._t

    @property
    def time(self) -> datetime:
        """Simulated time of the current state (the last tick)."""
        return datetime.fromtimestamp(self._t, self._tz)

    @property
    def next_tick_at(self) -> float:
        """When the next tick happens, POSIX seconds of simulated time."""
        return self._t + self.tick_s

    @property
    def operation_stats(self) -> OperationStats:
        """What the companies' crews did so far."""
        return self._crews.stats

    def local_hour(self, t: float) -> float:
        """The hour of the day in the city's time zone at POSIX time ``t``."""
        local = datetime.fromtimestamp(t, self._tz)
        return local.hour + local.minute / 60.0 + local.second / 3600.0

    def advance_to(self, moment: datetime | float, *, max_ticks: int | None = None) -> int:
        """Run every tick due by ``moment``; returns how many ran (at most ``max_ticks``)."""
        target = moment.timestamp() if isinstance(moment, datetime) else float(moment)
        self._clock = max(self._clock, target)
        ran = 0
        while self._t + self.tick_s <= self._clock and (max_ticks is None or ran < max_ticks):
            self._tick()
            ran += 1
        return ran

    def step(self, dt: timedelta | float) -> int:
        """Move the simulated clock on by ``dt`` and run the ticks that fall due."""
        seconds = dt.total_seconds() if isinstance(dt, timedelta) else float(dt)
        return self.advance_to(self._clock + seconds)

    def order_collection(self, vehicle: int, *, after_s: float) -> CollectionOrder:
        """Ask ``vehicle``'s company to collect it ``after_s`` simulated seconds from now."""
        if not 0 <= vehicle < len(self.fleet):
            raise ValueError(f"no vehicle {vehicle}")
        order = CollectionOrder(vehicle=vehicle, due=self._t + max(after_s, 0.0))
        self._orders.append(order)
        return order

    def view(self, company: int | str) -> VehicleView:
        """The vehicles ``company`` (index or slug) shows in its feed now."""
        index = company if isinstance(company, int) else self.scenario.company_index(company)
        cached = self._views.get(index)
        if cached is None:
            cached = self._views[index] = self._build_view(index)
        return cached

    def documents(
        self, version: str, *, base_url: str = "http://127.0.0.1:8090"
    ) -> dict[str, bytes]:
        """Every GBFS file of every company for ``version`` now: URL path → JSON bytes."""
        renderer = FeedRenderer(self, base_url=base_url, versions=(version,))
        return {path: renderer.render(path) for path in renderer.paths()}

    def _build_view(self, index: int) -> VehicleView:
        f = self.fleet
        shown = f.visible(index)
        t = self._t
        # A report is due every HEARTBEAT_S; a state change is reported at once.
        beat = t - np.mod(t - f.heartbeat[shown], HEARTBEAT_S)
        reported = np.floor(np.maximum(beat, f.changed_at[shown])).astype(np.int64)
        state = f.state[shown]
        return VehicleView(
            company=self.scenario.companies[index],
            at=t,
            ids=f.ids[shown].tolist(),
            lon=f.lon[shown],
            lat=f.lat[shown],
            reserved=state == VehicleState.reserved,
            disabled=state == VehicleState.disabled,
            charge=f.charge[shown],
            last_reported=reported,
            station=f.station[shown],
        )

    def _populate(self) -> None:
        """A lived-in street at ``start``: scooters spread, a few broken, riding or away."""
        f, rng, t = self.fleet, self._rng, self._t
        n = len(f)
        everyone = np.arange(n, dtype=np.int64)
        f.place[:] = self.planner.pick_supply_places(rng, f.company)
        self._put_on_street(everyone, at=t - rng.uniform(0.0, 6 * 3600.0, n))
        f.charge[:] = rng.uniform(0.25, 1.0, n)
        f.heartbeat[:] = rng.uniform(0.0, HEARTBEAT_S, n)
        luck = rng.random(n)
        broken = everyone[luck < START_BROKEN_SHARE]
        f.set_state(broken, VehicleState.disabled, f.changed_at[broken])
        f.until[broken] = t + rng.uniform(0.0, COLLECT_AFTER_S[1], len(broken))
        away = everyone[
            (luck >= START_BROKEN_SHARE) & (luck < START_BROKEN_SHARE + START_AWAY_SHARE)
        ]
        back = t + rng.uniform(1800.0, 12 * 3600.0, len(away))
        f.send_away(away, at=t, until=back, places=f.place[away])
        rate = trips_per_second(self.local_hour(t), self.daily_trips)
        riding = rng.poisson(rate * MEAN_TRIP_S)
        riders = self.planner.pick_riders(rng, f, int(riding), day_phase(self.local_hour(t)))
        begun = self._begin_trips(riders, np.full(len(riders), t), count=False)
        # They set off at different times, so they arrive spread over the next minutes.
        planned = f.until[riders] - t
        f.until[riders] = t + rng.random(len(riders)) * planned
        self.history.start_trips(
            riders,
            f.until[riders] - planned,
            lon=begun.lon,
            lat=begun.lat,
            metres=begun.metres,
            charge=begun.charge,
            before_start=True,
        )
        kinds = np.array(
            [
                EventKind.provider_drop_off,  # parked: put on the street
                EventKind.reservation_start,
                EventKind.trip_start,
                EventKind.maintenance,  # broken on the street
                EventKind.maintenance_pick_up,  # in a depot
            ],
            dtype=np.int8,
        )[f.state]
        self.history.begin(kinds, f.changed_at, f.lon, f.lat, f.charge)

    def _tick(self) -> None:
        t = self._t = self._t + self.tick_s
        self.tick += 1
        hour = self.local_hour(t)
        self._finish_due(t)
        self._start_demand(t, hour)
        self._break_parked(t)
        slot = int(t // SLOT_S)
        if slot != self._slot:
            self._slot = slot
            self._crews.run(self._rng, t=t, local_hour=hour, slot=slot)
        if self._orders:
            self._run_orders(t)
        self.history.end_tick(t)
        self._views.clear()

    def _run_orders(self, t: float) -> None:
        """Collect the ordered vehicles that are due and standing on the street."""
        f, rng = self.fleet, self._order_rng
        for order in self._orders:
            if order.due > t or order.status not in (OrderStatus.scheduled, OrderStatus.waiting):
                continue
            v = np.array([order.vehicle], dtype=np.int64)
            state = f.state[order.vehicle]
            if state == VehicleState.away:
                order.status, order.done_at = OrderStatus.already_off_street, t
            elif state in (VehicleState.parked, VehicleState.disabled):
                self.history.record(
                    EventKind.maintenance_pick_up, v, t, f.lon[v], f.lat[v], f.charge[v]
                )
                back = t + rng.uniform(*REPAIR_S, 1)
                f.charge[v] = rng.uniform(0.95, 1.0, 1)
                f.send_away(
                    v, at=t, until=back, places=self.planner.pick_deploy_places(rng, f.company[v])
                )
                order.status, order.done_at = OrderStatus.collected, t
                order.returns_at = float(back[0])
                self.stats.collected_on_request += 1
            else:
                order.status = OrderStatus.waiting
        self._orders = [
            o for o in self._orders if o.status in (OrderStatus.scheduled, OrderStatus.waiting)
        ]

    def _finish_due(self, t: float) -> None:
        """End every state whose time is up, in a fixed order (the RNG draws must repeat)."""
        f = self.fleet
        due = np.flatnonzero(f.until <= t)
        if len(due) == 0:
            return
        state = f.state[due]
        ready = due[state == VehicleState.reserved]
        self._begin_trips(ready, f.until[ready])
        self._arrive(due[state == VehicleState.on_trip])
        self._collect_broken(due[state == VehicleState.disabled], t)
        self._return_to_street(due[state == VehicleState.away])

    def _start_demand(self, t: float, hour: float) -> None:
        rng, f = self._rng, self.fleet
        wanted = int(rng.poisson(trips_per_second(hour, self.daily_trips) * self.tick_s))
        riders = self.planner.pick_riders(rng, f, wanted, day_phase(hour))
        holds = rng.random(len(riders)) < RESERVE_SHARE
        reserved = riders[holds]
        f.set_state(reserved, VehicleState.reserved, t)
        f.until[reserved] = t + rng.uniform(*RESERVE_S, len(reserved))
        self.history.record(
            EventKind.reservation_start,
            reserved,
            t,
            f.lon[reserved],
            f.lat[reserved],
            f.charge[reserved],
        )
        starting = riders[~holds]
        self._begin_trips(starting, np.full(len(starting), t))

    def _begin_trips(self, vehicles: IntArray, at: FloatArray, *, count: bool = True) -> TripStart:
        """Send ``vehicles`` on trips starting at ``at``: the destination is drawn now."""
        f, rng = self.fleet, self._rng
        begun = TripStart(
            lon=f.lon[vehicles], lat=f.lat[vehicles], metres=np.zeros(0), charge=f.charge[vehicles]
        )
        if len(vehicles) == 0:
            return begun
        origins, companies = f.place[vehicles], f.company[vehicles]
        phase = day_phase(self.local_hour(self._t))
        destinations = self.planner.pick_destinations(rng, origins, companies, phase)
        metres = self.planner.trip_metres(origins, destinations)
        speed = rng.uniform(*RIDE_SPEED_KMH, len(vehicles)) / 3.6
        duration = metres / speed + rng.uniform(*UNLOCK_AND_PARK_S, len(vehicles))
        f.place[vehicles] = destinations
        # The end position is drawn now; nobody sees it until the trip ends.
        f.lon[vehicles], f.lat[vehicles], f.station[vehicles] = self.planner.drop(
            rng, companies, destinations
        )
        drained = f.charge[vehicles] - metres / self.planner.max_range_m[companies]
        f.charge[vehicles] = np.maximum(drained, 0.01)
        f.set_state(vehicles, VehicleState.on_trip, at)
        f.until[vehicles] = at + duration
        begun.metres = metres
        if count:
            self.stats.trips_started += len(vehicles)
            self.history.start_trips(
                vehicles, at, lon=begun.lon, lat=begun.lat, metres=metres, charge=begun.charge
            )
        return begun

    def _arrive(self, vehicles: IntArray) -> None:
        if len(vehicles) == 0:
            return
        f, rng = self.fleet, self._rng
        at = f.until[vehicles]
        f.renew_ids(vehicles, self._mint)
        f.set_state(vehicles, VehicleState.parked, at)
        f.until[vehicles] = math.inf
        self.history.end_trips(vehicles, at, f.lon[vehicles], f.lat[vehicles], f.charge[vehicles])
        broke = rng.random(len(vehicles)) < BREAK_PER_TRIP
        self._break(vehicles[broke], at[broke], event_at=at[broke] + AFTER_TRIP_S)
        self.stats.trips_ended += len(vehicles)

    def _break_parked(self, t: float) -> None:
        """Vandalism and faults of standing scooters: a small daily rate per scooter."""
        rng, f = self._rng, self.fleet
        parked = np.flatnonzero(f.state == VehicleState.parked)
        expected = len(parked) * BREAK_PER_PARKED_DAY * self.tick_s / 86_400.0
        count = min(int(rng.poisson(expected)), len(parked))
        if count:
            broken = rng.choice(parked, size=count, replace=False)
            self._break(broken, np.full(count, t))

    def _break(
        self, vehicles: IntArray, at: FloatArray, *, event_at: FloatArray | None = None
    ) -> None:
        """Broken scooters stay on the street, disabled, until their company collects them."""
        f = self.fleet
        f.set_state(vehicles, VehicleState.disabled, at)
        f.until[vehicles] = at + self._rng.uniform(*COLLECT_AFTER_S, len(vehicles))
        self.stats.breakdowns += len(vehicles)
        self.history.record(
            EventKind.maintenance,
            vehicles,
            at if event_at is None else event_at,
            f.lon[vehicles],
            f.lat[vehicles],
            f.charge[vehicles],
        )

    def _collect_broken(self, vehicles: IntArray, t: float) -> None:
        if len(vehicles) == 0:
            return
        rng, f = self._rng, self.fleet
        self.history.record(
            EventKind.maintenance_pick_up,
            vehicles,
            t,
            f.lon[vehicles],
            f.lat[vehicles],
            f.charge[vehicles],
        )
        places = self.planner.pick_deploy_places(rng, f.company[vehicles])
        f.charge[vehicles] = rng.uniform(0.95, 1.0, len(vehicles))
        f.send_away(vehicles, at=t, until=t + rng.uniform(*REPAIR_S, len(vehicles)), places=places)
        self.stats.collected_broken += len(vehicles)

    def _return_to_street(self, vehicles: IntArray) -> None:
        if len(vehicles) == 0:
            return
        f = self.fleet
        at = f.until[vehicles]
        self._put_on_street(vehicles, at=at)
        self.history.record(
            EventKind.provider_drop_off,
            vehicles,
            at,
            f.lon[vehicles],
            f.lat[vehicles],
            f.charge[vehicles],
        )
        self.stats.returned += len(vehicles)

    def _put_on_street(self, vehicles: IntArray, *, at: FloatArray) -> None:
        """Park ``vehicles`` at their ``place`` with new ids, from time ``at``."""
        f = self.fleet
        f.lon[vehicles], f.lat[vehicles], f.station[vehicles] = self.planner.drop(
            self._rng, f.company[vehicles], f.place[vehicles]
        )
        f.renew_ids(vehicles, self._mint)
        f.set_state(vehicles, VehicleState.parked, at)
        f.until[vehicles] = math.inf
