"""The JSON API of Vision Zero: incidents in and out, counts by month, the safety map.

``POST /safety/incidents`` takes incidents from the operator's staff, from the traffic police
(their token; ``deps.INTAKE_PATHS`` lets a police account reach this path and nothing else here)
and from the sharing companies (a representative's token; MDS 2.0 has no incident object, so a
company sends this body, with its own incident id as ``external_ref``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging
from tartip.safety import map as safety_map
from tartip.safety import present
from tartip.safety import service as safety_service
from tartip.safety.enums import IncidentKind, Severity
from tartip.safety.schemas import (
    IncidentCreate,
    IncidentPage,
    IncidentRead,
    IncidentUpdate,
    MonthCountRead,
    SafetyMap,
    SuggestionRead,
)

router = APIRouter(
    tags=["safety"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        422: {"model": ErrorBody, "description": "The input is not valid"},
    },
)
MAP_DAYS = 90
FromDate = Annotated[
    date | None, Query(alias="from", description="First local day (default: 90 days ago)")
]
ToDate = Annotated[date | None, Query(alias="to", description="Last local day (default: today)")]
Company = Annotated[str | None, Query(description="One company's slug")]


def _period(
    db: DbSession, scope: CurrentScope, first: date | None, last: date | None, days: int
) -> tuple[date, date, str]:
    city = cities_service.get(db, city_id=scope.city_id)
    timezone = city.timezone if city is not None else "UTC"
    end = last or utcnow().astimezone(ZoneInfo(timezone)).date()
    return first or end - timedelta(days=days - 1), end, timezone


@router.post("/safety/incidents", response_model=IncidentRead, status_code=201)
def create_incident(
    db: DbSession, scope: CurrentScope, data: IncidentCreate, response: Response
) -> IncidentRead:
    """Record an incident; a repeated ``external_ref`` answers the stored one with 200."""
    incident, created = safety_service.create(db, scope=scope, data=data)
    if not created:
        response.status_code = 200
    return present.incident_read(incident, companies=safety_map.company_slugs(db, scope=scope))


@router.get("/safety/incidents", response_model=IncidentPage)
def list_incidents(
    db: DbSession,
    scope: CurrentScope,
    paging: Paging,
    first: FromDate = None,
    last: ToDate = None,
    kind: Annotated[list[IncidentKind] | None, Query(description="Kinds; repeat")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Severities; repeat")] = None,
    company: Company = None,
) -> IncidentPage:
    """Incidents the caller may see, newest first (all time unless a period is given)."""
    since = until = None
    if first or last:
        start, end, timezone = _period(db, scope, first, last, 36_500)
        since, until = safety_service.day_bounds(start, end, timezone)
    where = safety_service.IncidentFilter(
        since=since,
        until=until,
        kinds=tuple(kind or ()),
        severities=tuple(severity or ()),
        company=company,
    )
    rows, total = safety_service.list_incidents(
        db, scope=scope, where=where, offset=paging.offset, limit=paging.size
    )
    companies = safety_map.company_slugs(db, scope=scope)
    items = [present.incident_read(i, companies=companies) for i in rows]
    return IncidentPage(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/safety/incidents/{incident_id}", response_model=IncidentRead)
def read_incident(db: DbSession, scope: CurrentScope, incident_id: int) -> IncidentRead:
    """One incident."""
    incident = safety_service.get_or_raise(db, scope=scope, incident_id=incident_id)
    return present.incident_read(incident, companies=safety_map.company_slugs(db, scope=scope))


@router.patch("/safety/incidents/{incident_id}", response_model=IncidentRead)
def update_incident(
    db: DbSession, scope: CurrentScope, incident_id: int, data: IncidentUpdate
) -> IncidentRead:
    """Correct an incident (supervisors)."""
    incident = safety_service.update(db, scope=scope, incident_id=incident_id, data=data)
    return present.incident_read(incident, companies=safety_map.company_slugs(db, scope=scope))


@router.get("/safety/counts", response_model=list[MonthCountRead])
def month_counts(
    db: DbSession,
    scope: CurrentScope,
    first: Annotated[
        date | None,
        Query(
            alias="from",
            description="A day of the first month (default: 11 months before this one)",
        ),
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="A day of the last month (default: today)")
    ] = None,
    company: Company = None,
) -> list[MonthCountRead]:
    """Incidents per month of city time, by kind and severity, and the people hurt."""
    start, end, _timezone = _period(db, scope, first, last, 335)
    counts = safety_service.counts_by_month(db, scope=scope, first=start, last=end, company=company)
    return [present.month_count_read(c) for c in counts]


@router.get("/safety/map", response_model=SafetyMap)
def read_map(
    db: DbSession, scope: CurrentScope, first: FromDate = None, last: ToDate = None
) -> SafetyMap:
    """The safety map (GeoJSON): incidents, slow/no-ride/parking zones, clutter, suggestions."""
    start, end, timezone = _period(db, scope, first, last, MAP_DAYS)
    since, until = safety_service.day_bounds(start, end, timezone)
    found = safety_map.picture(db, scope=scope, since=since, until=until)
    return SafetyMap(features=safety_map.features(found), rule=found.rule.as_dict())


@router.get("/safety/suggestions", response_model=list[SuggestionRead])
def suggestions(
    db: DbSession, scope: CurrentScope, first: FromDate = None, last: ToDate = None
) -> list[SuggestionRead]:
    """Where a new slow zone or parking place would help, by the documented rule."""
    start, end, timezone = _period(db, scope, first, last, MAP_DAYS)
    since, until = safety_service.day_bounds(start, end, timezone)
    found = safety_map.picture(db, scope=scope, since=since, until=until)
    return [present.suggestion_read(s) for s in found.suggestions]
