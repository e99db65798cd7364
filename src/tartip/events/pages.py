"""The HTML pages of mass events: upcoming and current events, planning one, its zones and staff.

Forms post to these pages (with the CSRF token); times are typed and shown in city time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tartip.auth.enums import Role
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem
from tartip.deps import DbSession, Page, check_csrf_form
from tartip.events import present
from tartip.events import service as events_service
from tartip.events.enums import EventState
from tartip.events.schemas import CityEventCreate

router = APIRouter(tags=["pages"], include_in_schema=False)
# Places a supervisor picks from when planning an event (OSM, ODbL; see data/almaty).
VENUES = {
    "Central Stadium": (76.924172, 43.238341),
    "Republic Square": (76.945278, 43.238333),
    "Gorky Park": (76.96962, 43.261457),
    "First President's Park": (76.886502, 43.187076),
}


@router.get("/events", response_class=HTMLResponse)
def events_page(page: Page, db: DbSession) -> Response:
    """Upcoming and current events, and a form to plan one."""
    scope = page.require_user()
    now = utcnow()
    events, _total = events_service.list_events(
        db, scope=scope, states=[EventState.current, EventState.upcoming], at=now, limit=100
    )
    context = {
        "events": [present.event_read(db, e, scope=scope, at=now) for e in events],
        "venues": VENUES,
        "can_edit": scope.role in (Role.admin, Role.supervisor),
        "error": None,
    }
    return page.render("events/index.html", context)


def _city_moment(value: str, timezone: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone))


@router.post("/events", response_class=HTMLResponse)
async def plan_event(
    request: Request,
    page: Page,
    db: DbSession,
    name: Annotated[str, Form()],
    venue: Annotated[str, Form()],
    starts_at: Annotated[str, Form()],
    ends_at: Annotated[str, Form()],
    margin_before_min: Annotated[int, Form()] = 60,
    margin_after_min: Annotated[int, Form()] = 60,
    template: Annotated[bool, Form()] = False,
) -> Response:
    """Plan an event from the form (times in city time) and open its page."""
    await check_csrf_form(request)
    scope = page.require_user()
    lon, lat = VENUES.get(venue, VENUES["Central Stadium"])
    try:
        data = CityEventCreate(
            name=name,
            venue_name=venue,
            venue_lon=lon,
            venue_lat=lat,
            starts_at=_city_moment(starts_at, page.city.timezone),
            ends_at=_city_moment(ends_at, page.city.timezone),
            margin_before_min=margin_before_min,
            margin_after_min=margin_after_min,
            template=template,
        )
    except (ValidationError, ValueError) as exc:
        raise InvalidInput("the event is not valid", problems=[Problem("event", str(exc))]) from exc
    event = events_service.create(db, scope=scope, data=data)
    return RedirectResponse(f"/events/{event.id}", status_code=303)


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(page: Page, db: DbSession, event_id: int) -> Response:
    """One event: its times, its zones, and (for the operator's staff) who is on duty there."""
    scope = page.require_user()
    event = events_service.get_or_raise(db, scope=scope, event_id=event_id)
    context = {
        "event": present.event_read(db, event, scope=scope, at=utcnow()),
        "can_edit": scope.role in (Role.admin, Role.supervisor),
        "duty": present.event_duty(db, event, scope=scope, timezone=page.city.timezone),
    }
    return page.render("events/detail.html", context)


@router.post("/events/{event_id}/cancel")
async def cancel_event(request: Request, page: Page, db: DbSession, event_id: int) -> Response:
    """Cancel an event from its page; its zones are retired."""
    await check_csrf_form(request)
    events_service.cancel(db, scope=page.require_user(), event_id=event_id)
    return RedirectResponse(f"/events/{event_id}", status_code=303)
