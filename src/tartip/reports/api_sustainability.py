"""The JSON API of the sustainability estimate: figures with their assumptions, and setting them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession
from tartip.reports import sustainability
from tartip.reports.sustainability_schemas import (
    AssumptionsRead,
    AssumptionsWrite,
    EstimateRead,
    SustainabilityRead,
)
from tartip.trips import statistics

router = APIRouter(
    tags=["reports"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        422: {"model": ErrorBody, "description": "The input is not valid"},
    },
)
DEFAULT_DAYS = 30


@router.get("/reports/sustainability", response_model=SustainabilityRead)
def read_sustainability(
    db: DbSession,
    scope: CurrentScope,
    first: Annotated[
        date | None, Query(alias="from", description="First local day (default: 30 days ago)")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Last local day (default: today)")
    ] = None,
    company: Annotated[list[str] | None, Query(description="Company slugs; repeat")] = None,
) -> SustainabilityRead:
    """Car trips and car-km replaced and CO2 avoided, with every assumption beside them."""
    query = statistics.make_query(db, scope=scope, first=first, last=last)
    if first is None and last is None:
        query = statistics.TripQuery(query.last - timedelta(days=DEFAULT_DAYS - 1), query.last)
    companies = company or ()
    total = sustainability.estimate(
        db, scope=scope, first=query.first, last=query.last, companies=companies
    )
    months = sustainability.by_month(
        db, scope=scope, first=query.first, last=query.last, companies=companies
    )
    return SustainabilityRead(
        total=EstimateRead.of(total), months=[EstimateRead.of(m) for m in months]
    )


@router.get("/reports/sustainability/assumptions", response_model=AssumptionsRead)
def read_assumptions(db: DbSession, scope: CurrentScope) -> AssumptionsRead:
    """The assumptions in use in the caller's city."""
    return AssumptionsRead.of(sustainability.get_assumptions(db, city_id=scope.city_id))


@router.put("/reports/sustainability/assumptions", response_model=AssumptionsRead)
def write_assumptions(
    db: DbSession, scope: CurrentScope, data: AssumptionsWrite
) -> AssumptionsRead:
    """Set the city's assumptions (supervisors and admins); audited."""
    values = data.model_dump(exclude={"source"})
    found = sustainability.set_assumptions(db, scope=scope, values=values, source=data.source)
    return AssumptionsRead.of(found)
