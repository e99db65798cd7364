"""Thresholds of the detectors: defaults, a city's overrides per zone kind and per zone.

A value is looked up from the most specific level that sets it: the zone, then its zone kind, then
the city, then the defaults below. Overrides are partial (only the fields a city changed) and are
stored as JSON in ``compliance_threshold`` rows; ``Thresholds`` validates them.

Two kinds of lookup serve the detectors (docs/compliance.md, "Thresholds"):

- ``for_zone`` — every value for a rule judged *in one zone* (a no-parking area's wait, a parking
  place's tolerance, the grace of that zone's violations): zone → kind → city → defaults;
- ``set_in_zone`` — only what the zone or its kind sets, for values a vehicle carries with it
  wherever it stands (parked too long, clutters) and for zone caps: where no zone it stands in
  sets one, the city's value holds, and a city-wide fleet cap is never read as a cap per zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Levels an override row applies to: the whole city, one zone kind, or one zone.
CITY = "city"
KIND_PREFIX = "kind:"
ZONE_PREFIX = "zone:"
NonNegative = Annotated[int, Field(ge=0)]


class Thresholds(BaseModel):
    """Every number a detector compares with; a city may change each one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_parked_s: float = Field(
        60.0, ge=0, description="A vehicle counts as left in a zone after standing this long"
    )
    min_vehicles: int = Field(
        1, ge=1, description="Vehicles of one company in violation before a zone violation opens"
    )
    capacity_tolerance: int = Field(
        0, ge=0, description="Vehicles allowed above a parking place's capacity"
    )
    clutter_count: int = Field(5, ge=1, description="A clutter is more than this many vehicles")
    clutter_radius_m: float = Field(15.0, gt=0, le=200, description="…within this many metres")
    # Per kind or zone, the fleet caps below cap each company inside every such zone.
    parked_too_long_s: float = Field(
        72 * 3600.0, gt=0, description="Standing without a trip longer than this is a violation"
    )
    disabled_too_long_s: float = Field(
        12 * 3600.0, gt=0, description="A disabled vehicle left on the street longer than this"
    )
    target_load: int | None = Field(
        None, ge=0, description="A duty zone's target load when the zone sets none"
    )
    fleet_cap: int | None = Field(
        None, ge=0, description="Vehicles each company may have (in the city, or in each zone)"
    )
    fleet_caps: dict[str, NonNegative] = Field(
        default_factory=dict, description="Vehicles a company may have, by company slug"
    )
    parking_required: bool = Field(
        False, description="Vehicles may be left only in parking places (everywhere, or in zones)"
    )
    close_grace_s: float = Field(
        120.0, ge=0, description="A violation closes after its condition stays clear this long"
    )


DEFAULTS = Thresholds()


def kind_level(kind: str) -> str:
    """The override level of a zone kind."""
    return f"{KIND_PREFIX}{kind}"


def zone_level(zone_id: int) -> str:
    """The override level of one zone."""
    return f"{ZONE_PREFIX}{zone_id}"


@dataclass(frozen=True)
class ThresholdBook:
    """A city's overrides by level: ``city``, ``kind:<kind>`` or ``zone:<id>``."""

    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def city(self) -> Thresholds:
        """The thresholds that hold where no zone says otherwise."""
        return _merge(self.overrides.get(CITY))

    def for_zone(self, *, zone_id: int, kind: str) -> Thresholds:
        """The thresholds of one zone: its own, else its kind's, else the city's."""
        return _merge(
            self.overrides.get(CITY),
            self.overrides.get(kind_level(kind)),
            self.overrides.get(zone_level(zone_id)),
        )

    def for_kind(self, kind: str) -> Thresholds:
        """The thresholds of a zone kind (for rules about the kind as a whole, not one zone)."""
        return _merge(self.overrides.get(CITY), self.overrides.get(kind_level(kind)))

    def set_in_zone(self, *, zone_id: int, kind: str) -> dict[str, Any]:
        """Only the values the zone or its kind sets (the zone's winning), without the city's."""
        values: dict[str, Any] = {}
        for level in (kind_level(kind), zone_level(zone_id)):
            layer = self.overrides.get(level)
            if layer:
                values.update(layer)
        if not values:
            return values
        typed = Thresholds.model_validate(values)  # the stored JSON, as typed values
        return {name: getattr(typed, name) for name in values}

    def has_zone_override(self, zone_id: int) -> bool:
        """Whether this zone has thresholds of its own."""
        return zone_level(zone_id) in self.overrides

    def signature(self) -> str:
        """A stable text of every override, so a cache can tell when they changed."""
        return repr(sorted((k, sorted(v.items())) for k, v in self.overrides.items()))


def _merge(*layers: Mapping[str, Any] | None) -> Thresholds:
    values: dict[str, Any] = {}
    for layer in layers:
        if layer:
            values.update(layer)
    return Thresholds.model_validate(values) if values else DEFAULTS
