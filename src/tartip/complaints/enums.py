"""The vocabulary of complaints: who complains, about what, and where a complaint is in its life."""

from enum import StrEnum


class ComplaintSource(StrEnum):
    """Who the complaint came from."""

    citizen = "citizen"
    government = "government"  # the akimat, its mobility department, another state body
    police = "police"
    company = "company"  # a sharing company (about a rival's vehicles, or its own)
    staff = "staff"  # the unified operator's own staff saw it


class ComplaintCategory(StrEnum):
    """What the complaint is about."""

    badly_parked = "badly_parked"
    blocking_passage = "blocking_passage"
    damaged_vehicle = "damaged_vehicle"
    dangerous_riding = "dangerous_riding"
    minors_riding = "minors_riding"
    two_riders = "two_riders"
    other = "other"


# What a scout can put right at the place; the rest is about riders, so the companies answer it.
PLACE_FIXABLE = frozenset(
    {
        ComplaintCategory.badly_parked,
        ComplaintCategory.blocking_passage,
        ComplaintCategory.damaged_vehicle,
    }
)


class ComplaintStatus(StrEnum):
    """received → in_work → resolved | rejected; a closed complaint can be re-opened."""

    received = "received"
    in_work = "in_work"
    resolved = "resolved"
    rejected = "rejected"


CLOSED = frozenset({ComplaintStatus.resolved, ComplaintStatus.rejected})
OPEN = frozenset({ComplaintStatus.received, ComplaintStatus.in_work})


class ComplaintAction(StrEnum):
    """What moves a complaint from one status to another."""

    take = "take"  # staff take it in work
    resolve = "resolve"  # with an answer
    reject = "reject"  # with a reason
    reopen = "reopen"  # with a reason
    hand_back = "hand_back"  # the scout could not do the task: back to staff


class MatchOrigin(StrEnum):
    """Where a matched vehicle was found."""

    live = "live"  # the live vehicle table (a complaint about now)
    history = "history"  # the fleet's history of changes (an older complaint)
    staff = "staff"  # added by a person


class MatchState(StrEnum):
    """What staff made of a matched vehicle or company."""

    suggested = "suggested"
    confirmed = "confirmed"
    rejected = "rejected"


class DueClock(StrEnum):
    """How a due time is counted."""

    calendar = "calendar"  # every hour counts
    service = "service"  # only the field hours (city time)
