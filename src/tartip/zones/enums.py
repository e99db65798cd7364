"""The vocabulary of zones: what a zone is for, and where it is in its life cycle."""

from enum import StrEnum


class ZoneKind(StrEnum):
    """What a zone is for; its kind decides which rule parameters it carries."""

    duty = "duty"  # a busy place scouts watch constantly; ``target_load`` vehicles
    parking = "parking"  # a parking place or hub; ``capacity`` vehicles
    no_parking = "no_parking"  # vehicles may not be left here
    slow = "slow"  # ``speed_limit_kph``
    no_ride = "no_ride"  # vehicles may not be ridden (or left) here
    service_area = "service_area"  # where the companies may operate


class ZonePhase(StrEnum):
    """A zone's place in its life cycle: draft → published → retired."""

    draft = "draft"
    published = "published"
    retired = "retired"


# Kinds whose rules are published to the companies (GBFS geofencing, MDS Policy). Duty zones are
# the unified operator's own watch list and carry no rule for a rider.
PUBLIC_KINDS = frozenset(
    {ZoneKind.parking, ZoneKind.no_parking, ZoneKind.slow, ZoneKind.no_ride, ZoneKind.service_area}
)
