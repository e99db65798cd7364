"""The web pages of the reports domain: the companies' scorecard for the city and in the portal.

``/reports/scorecard`` shows every company side by side to the city's people;
``/portal/scorecard`` shows one company its own (and a supervisor that company's, read-only).
Both render the same table (``reports/_scorecard.html``) from the same service call.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth.enums import Role
from tartip.core.clock import utcnow
from tartip.deps import DbSession, Page, PortalView
from tartip.reports import (
    pages_dashboards,
    pages_issues,
    pages_report,
    pages_sustainability,
    present,
    service,
)
from tartip.reports.period import Month

router = APIRouter(tags=["pages"], include_in_schema=False)


def _context(card: service.Scorecard) -> dict[str, object]:
    month = card.period.month
    this_month = Month.containing(utcnow(), card.period.timezone)
    return {
        "card": card,
        "present": present,
        "month": month.label,
        "previous_month": month.previous().label,
        "next_month": month.next().label if month < this_month else None,
        "this_month": this_month.label,
    }


@router.get("/reports/scorecard", response_class=HTMLResponse)
def scorecard_page(
    page: Page,
    db: DbSession,
    month: Annotated[str | None, Query()] = None,
) -> Response:
    """Every company's scorecard side by side, for the city (a company is sent to its own)."""
    scope = page.require_user()
    if scope.role is Role.company_rep:
        suffix = f"?{urlencode({'month': month})}" if month else ""
        return RedirectResponse(f"/portal/scorecard{suffix}", status_code=303)
    card = service.scorecard(db, scope=scope, month=month or None)
    return page.render("reports/scorecard.html", _context(card))


@router.get("/portal/scorecard", response_class=HTMLResponse)
def portal_scorecard_page(
    page: Page,
    db: DbSession,
    view: PortalView,
    month: Annotated[str | None, Query()] = None,
) -> Response:
    """The company's own scorecard: the same figures the city sees, for it alone."""
    card = service.scorecard(db, scope=view.scope, month=month or None)
    return page.render(
        "portal/scorecard.html",
        {**view.context(), **_context(card), "portal_section": "scorecard"},
    )


router.include_router(pages_dashboards.router)
router.include_router(pages_report.router)
router.include_router(pages_issues.router)
router.include_router(pages_sustainability.router)
