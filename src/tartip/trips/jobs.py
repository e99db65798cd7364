"""Background jobs of the trips domain: pulling MDS Provider feeds, and the retention rules.

Each feed is pulled inside its own savepoint: a feed that makes Tartip fail is rolled back alone
(its progress too, so the same hours are asked again next time) and counted as a failed pull on
the feed's health.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.feeds import service as feeds_service
from tartip.feeds.models import Feed
from tartip.trips import pull, retention
from tartip.trips.mds_http import CachedToken

log = logging.getLogger(__name__)

TOKENS = "trips.oauth_tokens"
RETENTION_MARK = "trips.retention_cutoff"


@job("trips.pull", every_s=5.0)
def pull_due(ctx: JobContext, db: Session, city: City) -> None:
    """Pull every enabled MDS Provider feed of ``city`` whose next pull is due."""
    now = utcnow()
    for feed in pull.due_feeds(db, city_id=city.id, now=now):
        pull_one(ctx, db, feed, now=now)


def pull_one(ctx: JobContext, db: Session, feed: Feed, *, now: datetime) -> pull.PullResult | None:
    """Pull one feed in a savepoint; Tartip's own failure is recorded as a failed pull."""
    tokens: dict[int, CachedToken] = ctx.state.setdefault(TOKENS, {})
    try:
        with db.begin_nested():
            return pull.pull_feed(
                db, feed=feed, http=ctx.http, settings=ctx.settings, tokens=tokens, now=now
            )
    except Exception as exc:
        log.exception("pulling MDS feed %s failed", feed.id)
        error = f"Tartip could not process the MDS feed ({type(exc).__name__}: {exc})"[:1000]
        with db.begin_nested():
            feeds_service.mark_unhealthy(db, feed=feed, now=now, error=error, settings=ctx.settings)
            feed.next_poll_at = max(
                feed.next_poll_at or now,
                now + timedelta(seconds=ctx.settings.mds_pull_interval_s),
            )
        return None


@job("trips.retention", every_s=3600.0)
def apply_retention(ctx: JobContext, db: Session, city: City) -> None:
    """Blur trips past their retention time and delete old telemetry (docs/decisions/0071)."""
    now = utcnow()
    marks: dict[int, datetime] = ctx.state.setdefault(RETENTION_MARK, {})
    done = retention.apply(
        db,
        city_id=city.id,
        now=now,
        trip_days=ctx.settings.trip_retention_days,
        telemetry_days=ctx.settings.telemetry_retention_days,
        since=marks.get(city.id),
    )
    cutoff = now - timedelta(days=ctx.settings.trip_retention_days)

    def remember(_session: object) -> None:
        marks[city.id] = cutoff  # only once the blurring is committed

    event.listen(db, "after_commit", remember, once=True)
    log.info(
        "retention in city %s: %d trips and %d trip events blurred, %d telemetry points deleted",
        city.id,
        done.trips_blurred,
        done.events_blurred,
        done.telemetry_deleted,
    )
