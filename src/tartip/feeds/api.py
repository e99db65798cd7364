"""The JSON API of the feeds domain: feeds with their health, their pulls, registering, switching.

Company representatives see only their own company's feeds; any other feed is a 404 to them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tartip.deps import CurrentScope, DbSession
from tartip.feeds import service as feeds_service
from tartip.feeds.schemas import FeedCreate, FeedPullRead, FeedRead, FeedUpdate

router = APIRouter(tags=["feeds"])


@router.get("/feeds", response_model=list[FeedRead])
def list_feeds(db: DbSession, scope: CurrentScope, company_id: int | None = None) -> list[FeedRead]:
    """The feeds the caller may see, with their health."""
    feeds = feeds_service.list_feeds(db, scope=scope, company_id=company_id)
    return [FeedRead.model_validate(feed) for feed in feeds]


@router.get("/feeds/{feed_id}", response_model=FeedRead)
def read_feed(db: DbSession, scope: CurrentScope, feed_id: int) -> FeedRead:
    """One feed with its health."""
    return FeedRead.model_validate(feeds_service.get_or_raise(db, scope=scope, feed_id=feed_id))


@router.get("/feeds/{feed_id}/pulls", response_model=list[FeedPullRead])
def list_pulls(
    db: DbSession,
    scope: CurrentScope,
    feed_id: int,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[FeedPullRead]:
    """A feed's most recent fetches, newest first, with their problems."""
    pulls = feeds_service.list_pulls(db, scope=scope, feed_id=feed_id, limit=limit)
    return [FeedPullRead.model_validate(pull) for pull in pulls]


@router.post("/feeds", response_model=FeedRead, status_code=201)
def register_feed(db: DbSession, scope: CurrentScope, data: FeedCreate) -> FeedRead:
    """Register a company's feed (supervisors and admins); it is polled at once."""
    feed = feeds_service.register(
        db, scope=scope, company_id=data.company_id, url=data.url, language=data.language
    )
    return FeedRead.model_validate(feed)


@router.patch("/feeds/{feed_id}", response_model=FeedRead)
def update_feed(db: DbSession, scope: CurrentScope, feed_id: int, data: FeedUpdate) -> FeedRead:
    """Switch a feed on or off, or change its language (supervisors and admins)."""
    return FeedRead.model_validate(
        feeds_service.update(db, scope=scope, feed_id=feed_id, data=data)
    )
