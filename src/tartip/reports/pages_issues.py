"""The web pages of issued reports: the list, one version with its files, issue and re-issue;
and the live report downloaded as a file (``/reports/export/<format>``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.core.clock import utcnow
from tartip.core.i18n import LOCALE_NAMES, LOCALES
from tartip.deps import DbSession, Page, check_csrf_form
from tartip.reports import issue, report
from tartip.reports.api_issues import download
from tartip.reports.export import ExportFormat, check_locale, parse_format, render
from tartip.reports.period import Month

router = APIRouter(tags=["pages"], include_in_schema=False)

FormText = Annotated[str, Form()]
FORMAT_LABELS = {ExportFormat.pdf: "PDF", ExportFormat.xlsx: "XLSX", ExportFormat.csv: "CSV"}


def _common(page: Page) -> dict[str, object]:
    scope = page.require_user()
    return {
        "can_issue": scope.role.value in ("admin", *(r.value for r in issue.ISSUERS)),
        "formats": list(ExportFormat),
        "format_labels": FORMAT_LABELS,
        "locales": LOCALES,
        "locale_names": LOCALE_NAMES,
    }


@router.get("/reports/issues", response_class=HTMLResponse)
def issues_page(page: Page, db: DbSession) -> Response:
    """Every issued month with its versions; a form to issue a month that has ended."""
    scope = page.require_user()
    periods = issue.list_issues(db, scope=scope)
    last_month = Month.containing(utcnow(), page.city.timezone).previous()
    return page.render(
        "reports/issues.html",
        {**_common(page), "periods": periods, "default_month": last_month.label},
    )


@router.post("/reports/issues")
async def issue_form(
    request: Request, page: Page, db: DbSession, month: FormText = "", reason: FormText = ""
) -> Response:
    """Issue or re-issue a month's report, then show the new version."""
    await check_csrf_form(request)
    scope = page.require_user()
    row = issue.issue_month(
        db, scope=scope, month=month, reason=reason, base_url=page.settings.public_base_url
    )
    return RedirectResponse(f"/reports/issues/{row.id}", status_code=303)


@router.get("/reports/issues/{issue_id}", response_class=HTMLResponse)
def issue_page(page: Page, db: DbSession, issue_id: int) -> Response:
    """One issued version: who issued it and why, its files, its headline figures, the others."""
    scope = page.require_user()
    row = issue.get_or_raise(db, scope=scope, issue_id=issue_id)
    versions = issue.versions_of(db, row=row)
    return page.render(
        "reports/issue.html",
        {
            **_common(page),
            "row": row,
            "label": issue.period_label(row),
            "versions": versions,
            "current": versions[0],
            "issued": issue.report_of(row),
            "files": {(f.format, f.locale): f for f in row.files},
        },
    )


@router.get("/reports/issues/{issue_id}/files/{fmt}", response_class=Response)
def issue_file(
    page: Page, db: DbSession, issue_id: int, fmt: str, locale: Annotated[str, Query()] = "ru"
) -> Response:
    """A kept file of an issued version, byte for byte."""
    scope = page.require_user()
    found = issue.file_or_raise(
        db, scope=scope, issue_id=issue_id, fmt=parse_format(fmt), locale=locale
    )
    return download(
        found.content, content_type=found.content_type, filename=issue.file_name(found.issue, found)
    )


@router.get("/reports/export/{fmt}", response_class=Response)
def export_file(
    page: Page,
    db: DbSession,
    fmt: str,
    locale: Annotated[str | None, Query()] = None,
    period: Annotated[str | None, Query()] = None,
    at: Annotated[str | None, Query()] = None,
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
) -> Response:
    """The live report of a period as a file, in the page's language unless one is asked for."""
    scope = page.require_user()
    chosen = parse_format(fmt)
    language = check_locale(locale or page.locale)
    found = report.build_from_query(
        db, scope=scope, period=period or None, at=at or None, start=start or None,
        end=end or None,
    )  # fmt: skip
    out = render(found, fmt=chosen, locale=language, base_url=page.settings.public_base_url)
    return download(out.content, content_type=out.content_type, filename=out.filename)
