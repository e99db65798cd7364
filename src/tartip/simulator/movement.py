"""Trips and moves: who rides, where to, and where a scooter is left at the end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from tartip.simulator.fleet import Fleet, VehicleState
from tartip.simulator.places import (
    METRES_PER_DEGREE_LAT,
    BoolArray,
    FloatArray,
    IntArray,
)
from tartip.simulator.rhythm import DESTINATION_FACTOR, ORIGIN_FACTOR, DayPhase
from tartip.simulator.scenario import CompanySpec, Scenario

# Gravity model: the chance of a destination falls off as exp(-d / 2 km), so most trips are
# 1-4 km, and walking distance (< 300 m) is rarely ridden.
TRIP_SCALE_M = 2_000.0
SHORT_TRIP_M = 300.0
SHORT_TRIP_FACTOR = 0.05
# Streets are not straight lines; scooter trips run about 30 % longer than the crow flies.
DETOUR = 1.3
STATION_RADIUS_M = 20.0
# A place inside a forbidden zone has its drop point moved this far outside the zone's edge.
ZONE_MARGIN_M = 25.0
MIN_RIDE_CHARGE = 0.1


@dataclass(frozen=True)
class CompanyGeography:
    """Where one company's scooters may be left: a drop point and radius per place."""

    drop_lon: FloatArray
    drop_lat: FloatArray
    drop_radius_m: FloatArray
    destination_mask: BoolArray  # places where this company's rides may end
    station_of_place: IntArray  # virtual station index per place, or -1
    station_places: IntArray  # the place of each virtual station
    forbidden: BaseGeometry | None  # the adopted rule zones: no parking in any of them


def company_geography(scenario: Scenario, company: CompanySpec) -> CompanyGeography:
    """Drop points and allowed destinations of ``company`` under the rules it has adopted."""
    places = scenario.places
    count = len(places)
    drop_lon, drop_lat = places.lon.copy(), places.lat.copy()
    radius = places.radius_m.copy()
    adopted = [z.geometry for z in scenario.zones if z.zone_id not in company.skipped_zones]
    forbidden = shapely.union_all(adopted) if adopted else None
    if forbidden is not None:
        shapely.prepare(forbidden)
        # Riders of a company that enforces a zone leave scooters at its edge: clutter builds
        # up at park entrances instead of inside the park.
        edge = forbidden.buffer(scenario.plane.degrees(ZONE_MARGIN_M)).boundary
        for i in np.flatnonzero(shapely.contains_xy(forbidden, places.lon, places.lat)):
            line = shapely.shortest_line(edge, Point(places.lon[i], places.lat[i]))
            drop_lon[i], drop_lat[i] = shapely.get_coordinates(line)[0]
            radius[i] = min(radius[i], ZONE_MARGIN_M * 0.6)
    if company.station_based:
        mask = scenario.station_places.copy()
        radius[:] = STATION_RADIUS_M * 0.7
    else:
        mask = np.ones(count, dtype=np.bool_)
    mask &= shapely.contains_xy(scenario.boundary, drop_lon, drop_lat)
    if forbidden is not None:
        mask &= ~shapely.contains_xy(forbidden, drop_lon, drop_lat)
    station_places = np.flatnonzero(mask) if company.station_based else np.zeros(0, np.int64)
    station_of_place = np.full(count, -1, dtype=np.int64)
    station_of_place[station_places] = np.arange(len(station_places))
    return CompanyGeography(
        drop_lon=drop_lon,
        drop_lat=drop_lat,
        drop_radius_m=radius,
        destination_mask=mask,
        station_of_place=station_of_place,
        station_places=station_places.astype(np.int64),
        forbidden=forbidden,
    )


def _cumulative(weights: FloatArray) -> FloatArray:
    """Row-wise cumulative probabilities of non-negative weights."""
    cum: FloatArray = np.cumsum(weights, axis=-1)
    cum /= cum[..., -1:]
    return cum


class TripPlanner:
    """Chooses riders, destinations and drop positions for every company in a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        places = scenario.places
        self._plane = scenario.plane
        self._boundary = scenario.boundary
        shapely.prepare(self._boundary)
        self.geography = tuple(company_geography(scenario, c) for c in scenario.companies)
        self.max_range_m = np.array([c.max_range_m for c in scenario.companies])
        self.distance_m: FloatArray = np.hypot(
            places.x[:, None] - places.x[None, :], places.y[:, None] - places.y[None, :]
        )
        kernel = np.exp(-self.distance_m / TRIP_SCALE_M)
        kernel[self.distance_m < SHORT_TRIP_M] *= SHORT_TRIP_FACTOR
        self._kernel: FloatArray = kernel
        masks = np.stack([g.destination_mask for g in self.geography]).astype(np.float64)
        self._origin_weight: FloatArray = places.weight[None, :] * ORIGIN_FACTOR[:, places.group]
        dest = places.weight[None, :] * DESTINATION_FACTOR[:, places.group]
        self._destination_weight: FloatArray = dest[:, None, :] * masks[None, :, :]
        supply = self._origin_weight[DayPhase.morning][None, :] * masks
        # Where a company wants its scooters at dawn: where the morning's riders start.
        self.supply_share: FloatArray = supply / supply.sum(axis=1, keepdims=True)
        self._supply_cum = _cumulative(supply)
        self._deploy_cum = _cumulative(supply * places.hotspot[None, :])
        self.hotspot = places.hotspot
        self._drop_lon = np.stack([g.drop_lon for g in self.geography])
        self._drop_lat = np.stack([g.drop_lat for g in self.geography])
        self._drop_radius = np.stack([g.drop_radius_m for g in self.geography])
        self._station_of_place = np.stack([g.station_of_place for g in self.geography])

    @property
    def place_count(self) -> int:
        """How many places trips can start or end at."""
        return int(self._kernel.shape[0])

    def pick_riders(
        self, rng: np.random.Generator, fleet: Fleet, count: int, phase: DayPhase
    ) -> IntArray:
        """Up to ``count`` rentable vehicles, more likely where people start trips now."""
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        rentable = (fleet.state == VehicleState.parked) & (fleet.charge >= MIN_RIDE_CHARGE)
        # Riders come to a place at its own rate and share the scooters standing there, so a
        # place where many arrive and few leave fills up: clutter builds at hotspots.
        stock = np.bincount(fleet.place[rentable], minlength=self.place_count)
        per_scooter = self._origin_weight[phase] / np.maximum(stock, 1)
        weight = np.where(rentable, per_scooter[fleet.place], 0.0)
        cum = np.cumsum(weight)
        if cum[-1] <= 0.0:
            return np.zeros(0, dtype=np.int64)
        picks = np.searchsorted(cum, rng.random(count) * cum[-1], side="right")
        # Two riders drawn to one scooter make one trip: the second finds it gone.
        riders: IntArray = np.unique(np.minimum(picks, len(cum) - 1))
        return riders

    def pick_destinations(
        self, rng: np.random.Generator, origins: IntArray, companies: IntArray, phase: DayPhase
    ) -> IntArray:
        """A destination place per trip: attractive now, not too far, allowed for the company."""
        rows = self._kernel[origins] * self._destination_weight[phase][companies]
        cum = np.cumsum(rows, axis=1)
        draw = rng.random(len(origins)) * cum[:, -1]
        picks: IntArray = np.minimum((cum <= draw[:, None]).sum(axis=1), self.place_count - 1)
        return picks

    def pick_supply_places(self, rng: np.random.Generator, companies: IntArray) -> IntArray:
        """A place per vehicle where its company wants scooters at dawn (any place)."""
        return self._pick(rng, self._supply_cum, companies)

    def pick_deploy_places(self, rng: np.random.Generator, companies: IntArray) -> IntArray:
        """A hotspot per vehicle where its company puts repaired or charged scooters."""
        return self._pick(rng, self._deploy_cum, companies)

    def _pick(self, rng: np.random.Generator, cum: FloatArray, companies: IntArray) -> IntArray:
        draw = rng.random(len(companies))
        picks = np.empty(len(companies), dtype=np.int64)
        for company in range(cum.shape[0]):
            chosen = companies == company
            picks[chosen] = np.searchsorted(cum[company], draw[chosen], side="right")
        clipped: IntArray = np.minimum(picks, self.place_count - 1)
        return clipped

    def trip_metres(self, origins: IntArray, destinations: IntArray) -> FloatArray:
        """The ridden distance between two places, streets included."""
        metres: FloatArray = self.distance_m[origins, destinations] * DETOUR
        return metres

    def drop(
        self, rng: np.random.Generator, companies: IntArray, places: IntArray
    ) -> tuple[FloatArray, FloatArray, IntArray]:
        """Where each vehicle is left at ``places``: lon, lat and virtual station (or -1).

        A point scattered around the drop point that leaves the city or falls into a zone its
        company forbids is pulled back to the drop point, which is always allowed.
        """
        count = len(places)
        angle = rng.random(count) * (2.0 * np.pi)
        radius = np.sqrt(rng.random(count)) * self._drop_radius[companies, places]
        base_lon = self._drop_lon[companies, places]
        base_lat = self._drop_lat[companies, places]
        lon = base_lon + radius * np.cos(angle) / self._plane.metres_per_degree_lon
        lat = base_lat + radius * np.sin(angle) / METRES_PER_DEGREE_LAT
        ok = shapely.contains_xy(self._boundary, lon, lat)
        for company, geo in enumerate(self.geography):
            if geo.forbidden is None:
                continue
            mine = (companies == company) & ok
            ok[mine] = ~shapely.contains_xy(geo.forbidden, lon[mine], lat[mine])
        return (
            np.where(ok, lon, base_lon),
            np.where(ok, lat, base_lat),
            self._station_of_place[companies, places],
        )
