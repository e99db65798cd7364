"""Vocabulary of feeds and their health."""

from enum import StrEnum


class FeedProtocol(StrEnum):
    """The standard a company's feed speaks."""

    gbfs = "gbfs"


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
    error = "error"
