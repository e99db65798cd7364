"""The vocabulary of damage handover: report sources, kinds of damage, a handover's steps."""

from enum import StrEnum


class DamageSource(StrEnum):
    """Where a damage report came from."""

    scout = "scout"  # a scout in the street (the scout app, through ops)
    complaint = "complaint"  # a complaint about a damaged vehicle
    feed = "feed"  # the company's own feed: a vehicle disabled on the street too long
    staff = "staff"  # a member of staff at a desk


class DamageKind(StrEnum):
    """What is wrong with a vehicle; the first five are the scout app's list (ops DamageKind)."""

    broken = "broken"
    vandalised = "vandalised"
    in_water = "in_water"
    missing_parts = "missing_parts"
    other = "other"
    disabled_long = "disabled_long"  # the feed shows it disabled on the street for too long


class HandoverStatus(StrEnum):
    """Where a handover is: handed_over → acknowledged → collected → resolved (or cancelled)."""

    handed_over = "handed_over"  # shown to the company, waiting for it
    acknowledged = "acknowledged"  # the company has seen it and will collect
    collected = "collected"  # the vehicle is off the street (said by the company or its data)
    resolved = "resolved"  # the company says it is repaired or written off: the handover is done
    cancelled = "cancelled"  # the operator withdrew it (a wrong report)


# A handover still waiting for the company to take the vehicle off the street: it can be overdue.
WAITING = frozenset({HandoverStatus.handed_over, HandoverStatus.acknowledged})
# The vehicle is gone (or the handover withdrawn): a new report for it opens a new case.
OFF_STREET = frozenset(
    {HandoverStatus.collected, HandoverStatus.resolved, HandoverStatus.cancelled}
)


class HandoverAction(StrEnum):
    """What the company (or staff on its behalf) does to a handover."""

    acknowledge = "acknowledge"
    collect = "collect"
    resolve = "resolve"


class CollectedVia(StrEnum):
    """How Tartip learnt that a vehicle was collected."""

    portal = "portal"  # the company said so in its portal
    api = "api"  # the company said so through the API
    feed = "feed"  # the vehicle left the company's GBFS feed
    mds = "mds"  # an MDS ``maintenance_pick_up`` event of the company
    staff = "staff"  # the operator's staff, for the company (a phone call)


class EventKind(StrEnum):
    """One step in a handover's history (also what the webhooks and e-mails are made from)."""

    handed_over = "handed_over"
    report_merged = "report_merged"  # another report of the same vehicle joined the case
    acknowledged = "acknowledged"
    collected = "collected"
    resolved = "resolved"
    cancelled = "cancelled"
    escalated = "escalated"  # overdue: shown to supervisors (and e-mailed if configured)


class WebhookEvent(StrEnum):
    """The event types a company's webhook receives (``X-Tartip-Event``)."""

    handed_over = "damage.handed_over"
    updated = "damage.updated"


# The history steps a company hears about, and as what.
NOTIFIED: dict[EventKind, WebhookEvent] = {
    EventKind.handed_over: WebhookEvent.handed_over,
    EventKind.report_merged: WebhookEvent.updated,
    EventKind.acknowledged: WebhookEvent.updated,
    EventKind.collected: WebhookEvent.updated,
    EventKind.resolved: WebhookEvent.updated,
    EventKind.cancelled: WebhookEvent.updated,
}


class DeliveryStatus(StrEnum):
    """Where a webhook delivery is."""

    pending = "pending"  # waiting for its (next) attempt
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # every attempt failed; "send again" puts it back to pending
