"""The vocabulary of Vision Zero: what happened, how badly, and who told us."""

from enum import StrEnum


class IncidentKind(StrEnum):
    """What happened."""

    collision = "collision"  # a crash with a car, a person, another vehicle or an object
    fall = "fall"  # a rider fell or the vehicle tipped over, nobody else involved
    near_miss = "near_miss"  # nobody was hurt and nothing was hit, but it nearly happened


class Severity(StrEnum):
    """How badly anyone was hurt (the worst injury counts); ordered from least to worst."""

    none = "none"  # no injury (damage only, or a near miss)
    minor = "minor"  # treated on the spot or as an outpatient
    serious = "serious"  # taken to hospital
    fatal = "fatal"


class IncidentSource(StrEnum):
    """Who recorded the incident in Tartip; follows from the account that sent it."""

    staff = "staff"  # the unified operator's own people
    police = "police"  # the traffic police, through their token
    company = "company"  # a sharing company, through its representative's token


# Severities that make a place a hotspot faster: someone was hurt.
INJURY_SEVERITIES = frozenset({Severity.minor, Severity.serious, Severity.fatal})
