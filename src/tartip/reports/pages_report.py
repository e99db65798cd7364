"""The operator's report page (``/reports/report``) and the records behind its figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tartip.deps import DbSession, Page
from tartip.reports import report, report_charts, report_maps, report_records

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/reports/report", response_class=HTMLResponse)
def report_page(
    page: Page,
    db: DbSession,
    period: Annotated[str | None, Query()] = None,
    at: Annotated[str | None, Query()] = None,
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
) -> Response:
    """The report for the chosen period, with its charts, each figure linked to its records."""
    scope = page.require_user()
    found = report.build_from_query(
        db, scope=scope, period=period or None, at=at or None, start=start or None,
        end=end or None,
    )  # fmt: skip
    return page.render(
        "reports/report.html",
        {
            "report": found,
            "charts": report_charts,
            "maps": report_maps,
            "chosen": period or found.period.kind.value,
        },
    )


@router.get("/reports/records/{kind}", response_class=HTMLResponse)
def records_page(
    request: Request,
    page: Page,
    db: DbSession,
    kind: str,
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
) -> Response:
    """The list of records behind one figure of the report."""
    scope = page.require_user()
    filters = {k: v for k, v in request.query_params.items() if k not in ("start", "end") and v}
    found = report_records.records(
        db, scope=scope, kind=kind, start=start, end=end, filters=filters
    )
    return page.render("reports/records.html", {"records": found})
