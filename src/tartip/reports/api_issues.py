"""Issued reports in the JSON API: list, read, download a kept file, issue or re-issue; and the
live report (not issued) exported as PDF, XLSX or CSV.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tartip.core.i18n import LOCALES
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, SettingsDep
from tartip.reports import issue, report
from tartip.reports.api_report import report_json
from tartip.reports.export import ExportFormat, check_locale, parse_format, render
from tartip.reports.issue_schemas import IssueCreate, IssueDetail, IssuePeriodRead, IssueRead

router = APIRouter(
    tags=["reports"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not read or issue reports"},
        404: {"model": ErrorBody, "description": "No such issued report or file in this city"},
        422: {"model": ErrorBody, "description": "Malformed month, format, locale or period"},
    },
)

LocaleQuery = Annotated[str, Query(description=f"One of {', '.join(LOCALES)}")]


def download(content: bytes, *, content_type: str, filename: str) -> Response:
    """A file response the browser saves under ``filename``."""
    return Response(
        content,
        media_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/reports/issues", response_model=list[IssuePeriodRead])
def list_issues(db: DbSession, scope: CurrentScope) -> list[IssuePeriodRead]:
    """Every issued period of the city, newest first, each with all its versions."""
    return [
        IssuePeriodRead(
            period_label=p.label,
            period_first=p.current.period_first,
            period_last=p.current.period_last,
            versions=[IssueRead.of(v, current=v is p.current) for v in p.versions],
        )
        for p in issue.list_issues(db, scope=scope)
    ]


@router.post("/reports/issues", response_model=IssueRead, status_code=201)
def create_issue(
    db: DbSession, scope: CurrentScope, settings: SettingsDep, data: IssueCreate
) -> IssueRead:
    """Issue a month's report (version 1), or re-issue it as the next version with a reason."""
    row = issue.issue_month(
        db, scope=scope, month=data.month, reason=data.reason, base_url=settings.public_base_url
    )
    return IssueRead.of(row, current=True)


@router.get("/reports/issues/{issue_id}", response_model=IssueDetail)
def read_issue(db: DbSession, scope: CurrentScope, issue_id: int) -> IssueDetail:
    """One issued version with its figures exactly as issued."""
    row = issue.get_or_raise(db, scope=scope, issue_id=issue_id)
    newest = issue.versions_of(db, row=row)[0]
    base = IssueRead.of(row, current=newest.id == row.id)
    return IssueDetail(**base.model_dump(), report=report_json(issue.report_of(row)))


@router.get("/reports/issues/{issue_id}/files/{fmt}", response_class=Response)
def download_issue_file(
    db: DbSession, scope: CurrentScope, issue_id: int, fmt: str, locale: LocaleQuery = "ru"
) -> Response:
    """A kept file of an issued version, byte for byte as issued."""
    found = issue.file_or_raise(
        db, scope=scope, issue_id=issue_id, fmt=parse_format(fmt), locale=locale
    )
    return download(
        found.content,
        content_type=found.content_type,
        filename=issue.file_name(found.issue, found),
    )


@router.get("/reports/export/{fmt}", response_class=Response)
def export_report(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    fmt: str,
    locale: LocaleQuery = "ru",
    period: Annotated[str | None, Query(description="day, week or month")] = None,
    at: Annotated[str | None, Query(description="A date, or YYYY-MM for a month")] = None,
    start: Annotated[str | None, Query(description="First local day (custom)")] = None,
    end: Annotated[str | None, Query(description="Last local day, included (custom)")] = None,
) -> Response:
    """The live report of a period (computed now, not kept) as a PDF, XLSX or CSV file."""
    chosen: ExportFormat = parse_format(fmt)
    check_locale(locale)
    found = report.build_from_query(db, scope=scope, period=period, at=at, start=start, end=end)
    out = render(found, fmt=chosen, locale=locale, base_url=settings.public_base_url)
    return download(out.content, content_type=out.content_type, filename=out.filename)
