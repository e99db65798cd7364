"""The HTML pages of the feeds domain: the feed-health table for staff."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tartip.cities import service as cities_service
from tartip.deps import DbSession, Page
from tartip.feeds import service as feeds_service

router = APIRouter(tags=["pages"], include_in_schema=False)

RECENT_PULLS = 8


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(page: Page, db: DbSession) -> Response:
    """Each feed's health, last success, vehicles, last error and latest pulls with problems."""
    scope = page.require_user()
    feeds = feeds_service.list_feeds(db, scope=scope)
    companies = {c.id: c for c in cities_service.list_companies(db, city_id=scope.city_id)}
    pulls = feeds_service.recent_pulls(db, feeds=feeds, per_feed=RECENT_PULLS)
    return page.render("feeds/index.html", {"feeds": feeds, "companies": companies, "pulls": pulls})
