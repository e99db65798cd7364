"""The JSON API of mass events: plan, list, move and cancel events with their temporary zones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging
from tartip.events import present
from tartip.events import service as events_service
from tartip.events.enums import EventState
from tartip.events.schemas import CityEventCreate, CityEventPage, CityEventRead, CityEventUpdate

router = APIRouter(
    tags=["events"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        409: {"model": ErrorBody, "description": "Not possible in the event's state"},
        422: {"model": ErrorBody, "description": "The input is not valid"},
    },
)


@router.get("/events", response_model=CityEventPage)
def list_events(
    db: DbSession,
    scope: CurrentScope,
    paging: Paging,
    state: Annotated[
        list[EventState] | None, Query(description="States; repeat for several (default: all)")
    ] = None,
) -> CityEventPage:
    """The city's mass events, soonest first."""
    now = utcnow()
    events, total = events_service.list_events(
        db, scope=scope, states=state or (), at=now, offset=paging.offset, limit=paging.size
    )
    items = [present.event_read(db, e, scope=scope, at=now) for e in events]
    return CityEventPage(items=items, total=total, page=paging.page, size=paging.size)


@router.post("/events", response_model=CityEventRead, status_code=201)
def create_event(db: DbSession, scope: CurrentScope, data: CityEventCreate) -> CityEventRead:
    """Plan a mass event; with ``template`` its default zones are published at once."""
    event = events_service.create(db, scope=scope, data=data)
    return present.event_read(db, event, scope=scope, at=utcnow())


@router.get("/events/{event_id}", response_model=CityEventRead)
def read_event(db: DbSession, scope: CurrentScope, event_id: int) -> CityEventRead:
    """One event with its zones."""
    event = events_service.get_or_raise(db, scope=scope, event_id=event_id)
    return present.event_read(db, event, scope=scope, at=utcnow())


@router.patch("/events/{event_id}", response_model=CityEventRead)
def update_event(
    db: DbSession, scope: CurrentScope, event_id: int, data: CityEventUpdate
) -> CityEventRead:
    """Move or rename an event; its zones follow."""
    event = events_service.update(db, scope=scope, event_id=event_id, data=data)
    return present.event_read(db, event, scope=scope, at=utcnow())


@router.post("/events/{event_id}/cancel", response_model=CityEventRead)
def cancel_event(db: DbSession, scope: CurrentScope, event_id: int) -> CityEventRead:
    """Cancel an event; its zones are retired."""
    event = events_service.cancel(db, scope=scope, event_id=event_id)
    return present.event_read(db, event, scope=scope, at=utcnow())
