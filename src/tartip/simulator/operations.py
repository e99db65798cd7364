"""What the companies' own crews do: swap batteries, collect scooters to charge, rebalance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tartip.simulator.fleet import Fleet, VehicleState
from tartip.simulator.history import EventKind, History
from tartip.simulator.movement import TripPlanner
from tartip.simulator.places import IntArray
from tartip.simulator.scenario import BatteryService, CompanySpec

# Crews swap batteries by day; a swap crew serves this share of the fleet per 15-minute slot.
SWAP_HOURS = (7.0, 23.0)
SWAP_BELOW = 0.25
SWAP_SHARE_PER_SLOT = 0.008
# Companies that charge in depots collect low scooters at 23:00 and bring them back at dawn.
CHARGE_COLLECT_HOUR = 23.0
CHARGE_BELOW = 0.35
CHARGE_BACK_HOUR = 6.0
# Night rebalancing: every 30 minutes from 01:00 to 05:00, vans move scooters from crowded
# places (over 1.5 x the dawn target, mostly evening hotspots) to the metro stations, hotspots
# and stops where the morning's riders will look for them.
REBALANCE_HOURS = (1.0, 5.0)
REBALANCE_CROWDED = 1.5
REBALANCE_SHARE_PER_RUN = 0.03
REBALANCE_MINUTES = (20.0, 50.0)
SLOT_S = 900.0


@dataclass
class OperationStats:
    """Counters of the companies' crews' work since the simulation started."""

    battery_swaps: int = 0
    charging_collections: int = 0
    rebalanced: int = 0


class Crews:
    """The crews of every company, run once per 15-minute slot of simulated time."""

    def __init__(
        self,
        companies: tuple[CompanySpec, ...],
        planner: TripPlanner,
        fleet: Fleet,
        history: History,
    ) -> None:
        self._companies = companies
        self._planner = planner
        self._fleet = fleet
        self._history = history
        self._fleet_size = np.bincount(fleet.company, minlength=len(companies))
        self.stats = OperationStats()

    def run(self, rng: np.random.Generator, *, t: float, local_hour: float, slot: int) -> None:
        """Do this slot's work for every company."""
        for index, company in enumerate(self._companies):
            service = company.battery_service
            if service is BatteryService.swap and SWAP_HOURS[0] <= local_hour < SWAP_HOURS[1]:
                self._swap_batteries(rng, index, t)
            if service is BatteryService.collect and (
                CHARGE_COLLECT_HOUR <= local_hour < CHARGE_COLLECT_HOUR + SLOT_S / 3600
            ):
                self._collect_for_charging(rng, index, t, local_hour)
            if REBALANCE_HOURS[0] <= local_hour < REBALANCE_HOURS[1] and slot % 2 == 0:
                self._rebalance(rng, index, t)

    def _mine(self, company: int) -> IntArray:
        f = self._fleet
        mine: IntArray = np.flatnonzero((f.company == company) & (f.state == VehicleState.parked))
        return mine

    def _swap_batteries(self, rng: np.random.Generator, company: int, t: float) -> None:
        f = self._fleet
        parked = self._mine(company)
        low = parked[f.charge[parked] < SWAP_BELOW]
        capacity = math.ceil(self._fleet_size[company] * SWAP_SHARE_PER_SLOT)
        # The lowest batteries first: a crew's route is planned from the company's own data.
        chosen = low[np.argsort(f.charge[low], kind="stable")[:capacity]]
        f.charge[chosen] = rng.uniform(0.92, 1.0, len(chosen))
        f.changed_at[chosen] = t
        self.stats.battery_swaps += len(chosen)

    def _collect_for_charging(
        self, rng: np.random.Generator, company: int, t: float, local_hour: float
    ) -> None:
        f = self._fleet
        parked = self._mine(company)
        low = parked[f.charge[parked] < CHARGE_BELOW]
        hours_to_dawn = (CHARGE_BACK_HOUR - local_hour) % 24.0
        back = t + hours_to_dawn * 3600.0 + rng.uniform(0.0, 7200.0, len(low))
        # Taken to the depot to charge: to MDS a service pick-up, like a repair.
        self._history.record(
            EventKind.maintenance_pick_up, low, t, f.lon[low], f.lat[low], f.charge[low]
        )
        places = self._planner.pick_deploy_places(rng, f.company[low])
        f.charge[low] = rng.uniform(0.95, 1.0, len(low))
        f.send_away(low, at=t, until=back, places=places)
        self.stats.charging_collections += len(low)

    def _rebalance(self, rng: np.random.Generator, company: int, t: float) -> None:
        f = self._fleet
        parked = self._mine(company)
        counts = np.bincount(f.place[parked], minlength=self._planner.place_count)
        target = self._fleet_size[company] * self._planner.supply_share[company]
        surplus = np.floor(counts - REBALANCE_CROWDED * target - 1.0).clip(0.0)
        deficit = (np.ceil(target) - counts).clip(0.0)
        capacity = math.ceil(self._fleet_size[company] * REBALANCE_SHARE_PER_RUN)
        moves = int(min(surplus.sum(), deficit.sum(), capacity))
        if moves <= 0:
            return
        crowded = parked[surplus[f.place[parked]] > 0]
        crowded = crowded[np.argsort(f.place[crowded], kind="stable")]
        at_place = f.place[crowded]
        # Take at most the surplus from each crowded place: rank the scooters within it.
        rank = np.arange(len(crowded)) - np.searchsorted(at_place, at_place, side="left")
        movable = crowded[rank < surplus[at_place]]
        chosen = rng.permutation(movable)[:moves]
        targets = rng.choice(len(deficit), size=len(chosen), p=deficit / deficit.sum())
        minutes = rng.uniform(*REBALANCE_MINUTES, len(chosen))
        self._history.record(
            EventKind.rebalance_pick_up, chosen, t, f.lon[chosen], f.lat[chosen], f.charge[chosen]
        )
        f.send_away(chosen, at=t, until=t + minutes * 60.0, places=targets.astype(np.int64))
        self.stats.rebalanced += len(chosen)
