"""The JSON API of the portal domain: a company's overview.

Everything else a company reads or answers through its token is served by the domains' own
APIs, filtered to the caller's company: ``/violations``, ``/feeds``, ``/vehicles``,
``/rule-adoption``, the rules under ``/rules/...``, handovers and complaints.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, SettingsDep, company_view
from tartip.fleet import service as fleet_service
from tartip.portal import present, service
from tartip.portal.schemas import PortalOverview

router = APIRouter(
    tags=["portal"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "Another company's portal, or not a portal user"},
        404: {"model": ErrorBody, "description": "No such company"},
    },
)


@router.get("/portal/overview", response_model=PortalOverview)
def read_overview(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    company: Annotated[
        str | None, Query(description="Company slug: required for supervisors and admins")
    ] = None,
) -> PortalOverview:
    """The caller's company at a glance: vehicles, open violations, feeds, open cases."""
    view = company_view(db, scope=scope, slug=company)
    if view is None:
        raise InvalidInput(
            "name the company: ?company=<slug>",
            problems=[Problem("query.company", "required for the operator's staff")],
        )
    stale_before = fleet_service.stale_cutoff(
        now=utcnow(), stale_after_s=settings.stale_after_s, refresh_s=settings.live_refresh_s
    )
    found = service.overview(db, scope=view.scope, company=view.company, stale_before=stale_before)
    return present.overview_read(found)
