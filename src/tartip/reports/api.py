"""The JSON API of the reports domain: the companies' scorecard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession
from tartip.reports import api_dashboards, api_issues, api_report, api_sustainability, service
from tartip.reports.schemas import ScorecardRead

router = APIRouter(
    tags=["reports"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not see the scorecard"},
        404: {"model": ErrorBody, "description": "No such company in the caller's city"},
        422: {"model": ErrorBody, "description": "The month is not YYYY-MM, or has not begun"},
    },
)


@router.get("/reports/scorecard", response_model=ScorecardRead)
def read_scorecard(
    db: DbSession,
    scope: CurrentScope,
    month: Annotated[
        str | None, Query(description="YYYY-MM in the city's time zone; default: this month")
    ] = None,
    company: Annotated[
        str | None, Query(description="One company's slug (a representative sees only theirs)")
    ] = None,
) -> ScorecardRead:
    """Each company's scorecard for the month: the city sees all, a company only itself."""
    card = service.scorecard(db, scope=scope, month=month, company=company)
    return ScorecardRead.from_scorecard(card)


router.include_router(api_dashboards.router)
router.include_router(api_report.router)
router.include_router(api_issues.router)
router.include_router(api_sustainability.router)
