"""Tables of the reports domain: issued reports (frozen versions) and their files.

An issued report is the operator's report for one period, computed once and kept: its figures
(``snapshot``, the report model as JSON) and the files rendered from them (PDF, XLSX and CSV in
each locale) never change afterwards. A re-issue adds a new version beside the old ones
(docs/decisions/0082-issued-reports-kept-in-the-database.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime


class ReportIssue(CityScoped, Timestamped, Base):
    """One version of the report issued for a period (``version`` counts from 1 per period)."""

    __tablename__ = "report_issue"
    __table_args__ = (
        UniqueConstraint("city_id", "period_first", "period_last", "version"),
        Index("ix_report_issue_city_period", "city_id", "period_first"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(16))
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # NULL when the monthly job issued it; else the person who asked for it.
    issued_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    issued_by: Mapped[str] = mapped_column(String(200))
    # Why this version was issued (required of a person re-issuing; the job writes its own).
    reason: Mapped[str] = mapped_column(Text, default="")
    # The report model as JSON (``issue_snapshot``): the figures exactly as issued.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SHA-256 of the snapshot's canonical JSON: shows that two versions differ, or do not.
    digest: Mapped[str] = mapped_column(String(64))

    files: Mapped[list[ReportIssueFile]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", order_by="ReportIssueFile.id"
    )


class ReportIssueFile(CityScoped, Base):
    """A file of an issued version: one format in one locale, kept byte for byte."""

    __tablename__ = "report_issue_file"
    __table_args__ = (UniqueConstraint("issue_id", "format", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("report_issue.id", ondelete="CASCADE"), index=True
    )
    format: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    issue: Mapped[ReportIssue] = relationship(back_populates="files")
