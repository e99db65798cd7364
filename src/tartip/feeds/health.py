"""A feed's health after a poll, and when to poll it next: pure rules over the poll's outcome.

- **down**: the file that decides health (the vehicles, else the registered file) failed
  ``feed_down_after_failures`` polls in a row.
- **stale**: it answers, but its data (``last_updated``, the company's clock; else the time we
  last got new content) is older than ``stale_after_s``. Also while failing, before it counts as
  down, once the last good data has grown that old.
- **up**: otherwise, after at least one success. **unknown**: never polled successfully.

Next poll: after a success, the file's ``ttl`` clamped to ``[poll_min_interval_s,
poll_max_interval_s]`` (``ttl`` 0 means "any time", so the minimum); after a failure, the minimum
doubled per failure in a row, up to the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tartip.core.clock import from_timestamp
from tartip.feeds.enums import FeedHealth, PullOutcome
from tartip.settings import Settings

STALE_HEALTH = frozenset({FeedHealth.stale, FeedHealth.down})


@dataclass(frozen=True)
class Before:
    """What the feed row said before this poll."""

    health: FeedHealth
    consecutive_failures: int
    data_updated_at: datetime | None


@dataclass(frozen=True)
class After:
    """What the feed row says after this poll."""

    health: FeedHealth
    consecutive_failures: int
    success: bool
    data_updated_at: datetime | None
    next_poll_at: datetime
    error: str | None = None

    @property
    def stale(self) -> bool:
        """Whether the feed's vehicles must be shown as stale."""
        return self.health in STALE_HEALTH


def assess(
    before: Before,
    *,
    outcome: PullOutcome | None,
    error: str | None,
    last_updated: float | None,
    ttl: int | None,
    now: datetime,
    settings: Settings,
) -> After:
    """The feed's state after a poll whose deciding file ended with ``outcome``."""
    if outcome is None or outcome is PullOutcome.error:
        return _failed(before, error or "no answer", now=now, settings=settings)
    updated = before.data_updated_at
    if last_updated is not None:
        updated = from_timestamp(last_updated)
    elif outcome is PullOutcome.ok:
        updated = now
    health = FeedHealth.stale if _too_old(updated, now, settings) else FeedHealth.up
    return After(
        health=health,
        consecutive_failures=0,
        success=True,
        data_updated_at=updated,
        next_poll_at=now + timedelta(seconds=_interval_after_success(ttl, settings)),
    )


def _failed(before: Before, error: str, *, now: datetime, settings: Settings) -> After:
    failures = before.consecutive_failures + 1
    if failures >= settings.feed_down_after_failures:
        health = FeedHealth.down
    elif _too_old(before.data_updated_at, now, settings):
        health = FeedHealth.stale
    else:
        health = before.health
    backoff = settings.poll_min_interval_s * 2 ** min(failures - 1, 16)
    delay = min(max(backoff, settings.poll_min_interval_s), settings.poll_max_interval_s)
    return After(
        health=health,
        consecutive_failures=failures,
        success=False,
        data_updated_at=before.data_updated_at,
        next_poll_at=now + timedelta(seconds=delay),
        error=error,
    )


def _too_old(updated: datetime | None, now: datetime, settings: Settings) -> bool:
    # A company clock ahead of ours gives a negative age: that is fresh, not stale.
    return updated is not None and (now - updated).total_seconds() > settings.stale_after_s


def _interval_after_success(ttl: int | None, settings: Settings) -> float:
    seconds = float(ttl or 0)
    return min(max(seconds, settings.poll_min_interval_s), settings.poll_max_interval_s)
