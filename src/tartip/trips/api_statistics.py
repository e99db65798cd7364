"""The JSON API of the city's trip figures: ``/api/v1/trips/statistics/...``.

Each route reads one figure for a period of local days (``from``, ``to``; default: the last 7
days) and optionally some companies (``company``, repeatable). Callers outside the unified
operator get counts below 10 as ``null`` (see ``suppressed_below``); a company's staff get only
their own company's trips.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query

from tartip.auth.scope import Scope
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession
from tartip.trips import statistics
from tartip.trips import statistics_rollup as rollup
from tartip.trips.statistics_schemas import (
    FigureRead,
    HeatCellRead,
    HeatMapRead,
    MeasureRead,
    OriginDestinationRead,
    PlaceRead,
    PlacesRead,
    TripCountRead,
    TripCountsRead,
    TripSummaryRead,
)

router = APIRouter(
    prefix="/trips/statistics",
    tags=["trip statistics"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not read trip figures"},
        422: {"model": ErrorBody, "description": "A parameter is not valid"},
    },
)
F = TypeVar("F", bound=FigureRead)
Locale = Annotated[Literal["ru", "kk", "en"], Query(description="Language of the district names")]


def get_query(
    db: DbSession,
    scope: CurrentScope,
    first: Annotated[
        date | None, Query(alias="from", description="First local day (default: a week ago)")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Last local day, included (default: today)")
    ] = None,
    company: Annotated[list[str] | None, Query(description="Company slugs; repeatable")] = None,
) -> statistics.TripQuery:
    """The period and companies of a request."""
    return statistics.make_query(db, scope=scope, first=first, last=last, companies=company or ())


TripQueryDep = Annotated[statistics.TripQuery, Depends(get_query)]


@router.get("/summary", response_model=TripSummaryRead)
def read_summary(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> TripSummaryRead:
    """Trips in the period and today; mean, median and p90 of durations and distances."""
    found = statistics.summary(db, scope=scope, query=query)
    return TripSummaryRead(
        first=found.first, last=found.last, today=found.today,
        suppressed_below=found.suppressed_below, trips=found.trips,
        trips_today=found.trips_today, rolled_up_at=found.rolled_up_at,
        duration_s=MeasureRead.model_validate(found.duration_s),
        distance_m=MeasureRead.model_validate(found.distance_m),
    )  # fmt: skip


def _figure(model: type[F], scope: Scope, query: statistics.TripQuery, **fields: Any) -> F:
    """A figure's answer: its period and the caller's suppression, then its own ``fields``."""
    return model(
        first=query.first,
        last=query.last,
        suppressed_below=statistics.suppressed_below(scope),
        **fields,
    )


@router.get("/days", response_model=TripCountsRead)
def read_days(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> TripCountsRead:
    """Trips per local day of the period."""
    items = statistics.by_day(db, scope=scope, query=query)
    return _figure(
        TripCountsRead, scope, query, items=[TripCountRead.model_validate(c) for c in items]
    )


@router.get("/hours", response_model=TripCountsRead)
def read_hours(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> TripCountsRead:
    """Trips per local hour of the day (0–23) over the period."""
    items = statistics.by_hour(db, scope=scope, query=query)
    return _figure(
        TripCountsRead, scope, query, items=[TripCountRead.model_validate(c) for c in items]
    )


@router.get("/companies", response_model=TripCountsRead)
def read_companies(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> TripCountsRead:
    """Trips per company over the period."""
    items = statistics.by_company(db, scope=scope, query=query)
    return _figure(
        TripCountsRead, scope, query, items=[TripCountRead.model_validate(c) for c in items]
    )


@router.get("/districts", response_model=PlacesRead)
def read_districts(
    db: DbSession, scope: CurrentScope, query: TripQueryDep, locale: Locale = "en"
) -> PlacesRead:
    """Trips that started and ended in each district (and outside every district)."""
    items = statistics.by_district(db, scope=scope, query=query, locale=locale)
    return _figure(PlacesRead, scope, query, items=[PlaceRead.model_validate(p) for p in items])


@router.get("/zones", response_model=PlacesRead)
def read_zones(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> PlacesRead:
    """Trips that started and ended in each zone, under the version in force at the time."""
    items = statistics.by_zone(db, scope=scope, query=query)
    return _figure(PlacesRead, scope, query, items=[PlaceRead.model_validate(p) for p in items])


@router.get("/od", response_model=OriginDestinationRead)
def read_origin_destination(
    db: DbSession, scope: CurrentScope, query: TripQueryDep, locale: Locale = "en"
) -> OriginDestinationRead:
    """The district origin-destination matrix of the period."""
    found = statistics.origin_destination(db, scope=scope, query=query, locale=locale)
    return _figure(
        OriginDestinationRead,
        scope,
        query,
        places=[PlaceRead.model_validate(p) for p in found.places],
        counts=found.counts,
        total=found.total,
    )


@router.get("/heatmap", response_model=HeatMapRead)
def read_heat_map(db: DbSession, scope: CurrentScope, query: TripQueryDep) -> HeatMapRead:
    """Trip starts and ends per grid cell (about 280 m) over the period."""
    cells = statistics.heat_map(db, scope=scope, query=query)
    return _figure(
        HeatMapRead,
        scope,
        query,
        cell_lat=rollup.CELL_LAT,
        cell_lon=rollup.CELL_LON,
        cells=[HeatCellRead.model_validate(c) for c in cells],
    )
