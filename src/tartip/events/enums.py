"""The vocabulary of mass events."""

from enum import StrEnum


class EventState(StrEnum):
    """Where an event is in time (the city's zones follow it by themselves)."""

    upcoming = "upcoming"
    current = "current"
    past = "past"
    cancelled = "cancelled"


class EventZoneRole(StrEnum):
    """What a temporary zone does at an event."""

    perimeter = "perimeter"  # no parking around the venue
    hub = "hub"  # a parking hub for the crowd
    slow = "slow"  # a slow zone around the venue
    custom = "custom"
