"""Vocabulary of feeds and their health."""

from enum import StrEnum


class FeedProtocol(StrEnum):
    """The standard a company's feed speaks."""

    gbfs = "gbfs"
    # MDS Provider: Tartip pulls trips, events, telemetry and vehicles (the trips domain's job).
    mds_provider = "mds_provider"


class FeedAuth(StrEnum):
    """How Tartip proves who it is to a company's server."""

    none = "none"
    bearer = "bearer"  # a fixed token the company issued: ``Authorization: Bearer <token>``
    oauth = "oauth"  # OAuth 2.0 client credentials, exchanged for short-lived bearer tokens


class MdsEndpoint(StrEnum):
    """An MDS Provider endpoint Tartip pulls; the value is its path under the feed's base URL."""

    vehicles = "vehicles"
    vehicles_status = "vehicles/status"
    trips = "trips"
    events_historical = "events/historical"
    events_recent = "events/recent"
    telemetry = "telemetry"
    reports = "reports"


class FeedHealth(StrEnum):
    """Whether a feed is usable now."""

    unknown = "unknown"  # never polled
    up = "up"
    stale = "stale"  # answers, but its data is older than the city accepts
    down = "down"  # failed ``feed_down_after_failures`` polls in a row


class PullOutcome(StrEnum):
    """How one fetch of one feed file ended."""

    ok = "ok"
    not_modified = "not_modified"  # HTTP 304, or the same ``last_updated`` as before
    # MDS: the hour asked for is not ready yet (HTTP 202, or 404 soon after the hour): asked again.
    not_ready = "not_ready"
    error = "error"
