"""Vocabulary of the live fleet picture."""

from enum import StrEnum


class VehicleStatus(StrEnum):
    """A vehicle's state as GBFS shows it (``is_reserved`` / ``is_disabled``)."""

    available = "available"
    reserved = "reserved"
    disabled = "disabled"


class ChangeKind(StrEnum):
    """What happened to a vehicle between two snapshots of its company's feed."""

    appeared = "appeared"  # an id never seen before (GBFS 2.0+: often a new id after a trip)
    moved = "moved"
    status_changed = "status_changed"
    left_feed = "left_feed"  # on a trip, collected, or hidden; GBFS does not say which
    returned = "returned"  # an id that had left the feed came back
