"""What a simulated city is made of: its geography and the sharing companies that work in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from tartip.simulator.places import BoolArray, District, LocalPlane, Places, RuleZone

Localized = dict[str, str]


class BatteryService(StrEnum):
    """How a company keeps batteries charged: swap them on the street, or collect the scooters."""

    swap = "swap"
    collect = "collect"


@dataclass(frozen=True)
class CompanySpec:
    """A simulated sharing company: identity, vehicle type, tariff and working habits."""

    slug: str
    name: Localized
    short_name: Localized
    vehicle_type_id: str
    vehicle_name: Localized
    max_range_m: float
    fleet_share: float
    battery_service: BatteryService
    # Whoosh in Almaty lets rides end only at virtual parking spots (GBFS virtual stations).
    station_based: bool
    # Rule zones this company has not adopted yet: its riders may park there.
    skipped_zones: frozenset[str]
    unlock_kzt: float
    per_minute_kzt: float
    # Printed on each scooter before its number (MDS ``vehicle_id``), e.g. ``JT-104217``.
    code_prefix: str
    max_speed_kmh: int = 25

    @property
    def system_id(self) -> str:
        """The GBFS system_id: marked as simulated so it never clashes with a real system."""
        return f"tartip-sim-{self.slug}"


@dataclass(frozen=True)
class Scenario:
    """A city to simulate: boundary, places, rule zones, districts and companies."""

    city: str
    timezone: str
    boundary: BaseGeometry
    plane: LocalPlane
    places: Places
    zones: tuple[RuleZone, ...]
    districts: tuple[District, ...]
    companies: tuple[CompanySpec, ...]
    # Places where a station-based company may put a virtual parking spot.
    station_places: BoolArray
    trips_per_vehicle_day: float
    languages: tuple[str, ...] = field(default=("ru", "en"))

    def company_index(self, slug: str) -> int:
        """The position of a company in ``companies``, or ``KeyError``."""
        for index, company in enumerate(self.companies):
            if company.slug == slug:
                return index
        raise KeyError(slug)
