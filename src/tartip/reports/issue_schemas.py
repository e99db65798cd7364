"""The JSON shapes of issued reports: a version, its files, and the request to issue one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.reports import issue
from tartip.reports.models import ReportIssue


class IssueCreate(TartipModel):
    """Issue (or re-issue) the report of a month that has ended."""

    month: str = Field(description="YYYY-MM in the city's time zone", examples=["2026-06"])
    reason: str = Field(
        default="",
        max_length=issue.REASON_MAX,
        description="Why it is issued; required when the month was issued already",
    )


class IssueFileRead(TartipModel):
    """One kept file of a version."""

    format: str
    locale: str
    content_type: str
    size: int
    sha256: str
    url: str


class IssueRead(TartipModel):
    """One issued version of a period's report."""

    id: int
    period_kind: str
    period_first: date
    period_last: date
    period_label: str
    version: int
    current: bool
    issued_at: datetime
    issued_by: str
    reason: str
    digest: str
    files: list[IssueFileRead]

    @staticmethod
    def of(row: ReportIssue, *, current: bool, api_prefix: str = "/api/v1") -> IssueRead:
        """The API view of an issued version."""
        return IssueRead(
            id=row.id,
            period_kind=row.period_kind,
            period_first=row.period_first,
            period_last=row.period_last,
            period_label=issue.period_label(row),
            version=row.version,
            current=current,
            issued_at=row.issued_at,
            issued_by=row.issued_by,
            reason=row.reason,
            digest=row.digest,
            files=[
                IssueFileRead(
                    format=f.format,
                    locale=f.locale,
                    content_type=f.content_type,
                    size=f.size,
                    sha256=f.sha256,
                    url=f"{api_prefix}/reports/issues/{row.id}/files/{f.format}?locale={f.locale}",
                )
                for f in row.files
            ],
        )


class IssueDetail(IssueRead):
    """A version with its report exactly as issued (labels are English msgids)."""

    report: dict[str, Any]


class IssuePeriodRead(TartipModel):
    """A period with its issued versions, newest first."""

    period_label: str
    period_first: date
    period_last: date
    versions: list[IssueRead]
