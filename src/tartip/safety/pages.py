"""The Vision Zero page: the safety map, counts by month, suggestions, recent incidents, and a
form for staff to record one (times typed in city time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tartip.auth.enums import OPERATOR_ROLES
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem
from tartip.deps import DbSession, Page, check_csrf_form
from tartip.safety import map as safety_map
from tartip.safety import service as safety_service
from tartip.safety.enums import IncidentKind, Severity
from tartip.safety.schemas import IncidentCreate

router = APIRouter(tags=["pages"], include_in_schema=False)
MAP_DAYS = 90
RECENT = 50


@router.get("/safety", response_class=HTMLResponse)
def safety_page(
    page: Page,
    db: DbSession,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The safety map over a period (default: the last 90 days) and the counts by month."""
    scope = page.require_user()
    timezone = page.city.timezone
    end = last or utcnow().astimezone(ZoneInfo(timezone)).date()
    start = first or end - timedelta(days=MAP_DAYS - 1)
    since, until = safety_service.day_bounds(start, end, timezone)
    found = safety_map.picture(db, scope=scope, since=since, until=until)
    year_ago = date(end.year - 1, end.month, 1) + timedelta(days=31)
    counts = safety_service.counts_by_month(
        db, scope=scope, first=date(year_ago.year, year_ago.month, 1), last=end
    )
    context = {
        "found": found,
        "recent": found.incidents[:RECENT],
        "counts": counts,
        "first": start,
        "last": end,
        "kinds": list(IncidentKind),
        "severities": list(Severity),
        "companies": cities_service.list_companies(db, city_id=page.city.id),
        "can_record": scope.role in OPERATOR_ROLES,
    }
    return page.render("safety/index.html", context)


@router.post("/safety/incidents")
async def record_incident(
    request: Request,
    page: Page,
    db: DbSession,
    kind: Annotated[str, Form()],
    severity: Annotated[str, Form()],
    occurred_at: Annotated[str, Form()],
    lon: Annotated[float, Form()],
    lat: Annotated[float, Form()],
    company: Annotated[str, Form()] = "",
    vehicle_code: Annotated[str, Form()] = "",
    injured: Annotated[int, Form()] = 0,
    description: Annotated[str, Form()] = "",
) -> Response:
    """Record an incident from the form and go back to the map."""
    await check_csrf_form(request)
    scope = page.require_user()
    try:
        moment = datetime.fromisoformat(occurred_at).replace(tzinfo=ZoneInfo(page.city.timezone))
        data = IncidentCreate(
            kind=IncidentKind(kind),
            severity=Severity(severity),
            occurred_at=moment,
            lon=lon,
            lat=lat,
            company=company or None,
            vehicle_code=vehicle_code.strip() or None,
            injured=injured,
            description=description.strip(),
        )
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(
            "the incident is not valid", problems=[Problem("incident", str(exc))]
        ) from exc
    safety_service.create(db, scope=scope, data=data)
    return RedirectResponse("/safety", status_code=303)
