"""The vocabulary of compliance: what kind of disorder a violation is."""

from enum import StrEnum


class ViolationKind(StrEnum):
    """What condition a violation records; each has its own detector and thresholds."""

    no_parking = "no_parking"  # vehicles left in a no-parking area
    outside_parking = "outside_parking"  # left outside any parking place where one is required
    over_capacity = "over_capacity"  # a parking place holds more vehicles than its capacity
    clutter = "clutter"  # more than N vehicles within R metres, outside parking places
    parked_too_long = "parked_too_long"  # one vehicle standing without a trip for too long
    disabled_too_long = "disabled_too_long"  # a disabled vehicle left on the street too long
    no_ride = "no_ride"  # vehicles inside a no-ride zone
    fleet_cap = "fleet_cap"  # a company has more vehicles than its cap, in the city or a zone
    outside_service_area = "outside_service_area"  # vehicles outside every service area
    duty_overload = "duty_overload"  # a duty zone holds more vehicles than its target load


class ViolationState(StrEnum):
    """Where a violation is in its life: open (maybe clearing) or closed."""

    open = "open"
    closed = "closed"
