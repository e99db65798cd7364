"""Scheduled work of the feeds domain: polling due feeds, and purging old rows.

Each feed is polled inside its own savepoint: a feed that makes Tartip fail is rolled back alone,
counted as a failed poll (``mark_unhealthy``) and its in-memory live state forgotten, so the next
poll diffs against what the database really holds.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.feeds import service
from tartip.feeds.models import Feed, FeedPull
from tartip.fleet import live

log = logging.getLogger(__name__)

# The access log of fetches is kept this long (the feed page shows the latest ones).
PULL_RETENTION = timedelta(days=7)


@job("feeds.poll_due", every_s=1.0)
def poll_due(ctx: JobContext, db: Session, city: City) -> None:
    """Poll every enabled feed of ``city`` whose ``next_poll_at`` has come."""
    now = utcnow()
    feeds = service.due_feeds(db, city_id=city.id, now=now)
    if not feeds:
        return
    state = live.live_state(ctx.state)
    _forget_on_rollback(db, state)
    for feed in feeds:
        poll_one(ctx, db, feed)


def poll_one(ctx: JobContext, db: Session, feed: Feed) -> service.PollResult:
    """Poll one feed in a savepoint; Tartip's own failure is recorded as a failed poll."""
    now = utcnow()
    try:
        with db.begin_nested():
            return service.poll(db, ctx=ctx, feed=feed, now=now)
    except Exception as exc:
        log.exception("polling feed %s failed", feed.id)
        live.live_state(ctx.state).forget(feed.id)
        error = f"Tartip could not process the feed ({type(exc).__name__}: {exc})"[:1000]
        with db.begin_nested():
            return service.mark_unhealthy(
                db, feed=feed, now=now, error=error, settings=ctx.settings
            )


@job("feeds.purge", every_s=600.0)
def purge(ctx: JobContext, db: Session, city: City) -> None:
    """Forget vehicles that left their feed long ago, and fetch logs older than a week."""
    now = utcnow()
    before = now - timedelta(seconds=ctx.settings.departed_retention_s)
    vehicles = live.purge_departed(
        db, state=live.live_state(ctx.state), city_id=city.id, before=before
    )
    stmt = delete(FeedPull).where(
        FeedPull.city_id == city.id, FeedPull.started_at < now - PULL_RETENTION
    )
    pulls = db.execute(stmt)
    log.info(
        "purged %d departed vehicles and %s old pulls in city %s",
        vehicles,
        getattr(pulls, "rowcount", "?"),
        city.id,
    )


def _forget_on_rollback(db: Session, state: live.LiveState) -> None:
    # If the worker's transaction is rolled back after the polls (e.g. the commit fails), memory
    # is ahead of the database: drop it, it is reloaded from the database on the next poll.
    def forget(_session: Any, *_args: Any) -> None:
        state.forget()

    event.listen(db, "after_rollback", forget, once=True)
