"""Issued reports: the month's report computed once, kept unchanged, re-issued as a new version.

A report shown on the web is computed afresh and grows while late data arrives. An *issued*
report is frozen: ``issue`` computes the report (``report.build``), keeps its model as JSON
(``issue_snapshot``) and renders every file — PDF, XLSX and CSV in Russian, Kazakh and English
— byte for byte into the database (docs/decisions/0082). Nothing ever updates an issued row; a
re-issue adds version n + 1 beside the earlier ones, which stay downloadable.

The ``reports.issue_monthly`` job calls ``issue_due`` per city: once the new month is
``ISSUE_DELAY`` old, the month before is issued as version 1 (if nobody issued it already).
Who may do what: the operator's office and the city read issued reports
(``report.READERS``); supervisors and admins issue and re-issue, each issue audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.core.i18n import LOCALES
from tartip.reports import issue_snapshot, report, report_period
from tartip.reports.export import Edition, ExportFormat, check_locale, render
from tartip.reports.models import ReportIssue, ReportIssueFile
from tartip.reports.period import Month, local_midnight
from tartip.reports.report_model import PeriodKind, Report, ReportPeriod

# Who issues and re-issues (admins always may).
ISSUERS = (Role.supervisor,)
# The month's report waits this long into the next month: the companies' MDS trips arrive hours
# late, and the trip rollups (every 2 minutes) must have taken them in.
ISSUE_DELAY = timedelta(hours=6)
JOB_LABEL = "tartip (monthly report)"
JOB_REASON = "Issued automatically at the start of the next month"
REASON_MAX = 2000


@dataclass(frozen=True)
class PeriodVersions:
    """A period's issued versions, newest first (``current`` is the newest)."""

    first: str
    last: str
    label: str
    versions: list[ReportIssue]

    @property
    def current(self) -> ReportIssue:
        """The newest version: the one that counts."""
        return self.versions[0]


def _system_scope(city: City) -> Scope:
    """The monthly job acts as the operator's admin in the city, named as the job in the audit."""
    return Scope(user_id=None, username=JOB_LABEL, role=Role.admin, city_id=city.id)


def list_issues(db: Session, *, scope: Scope) -> list[PeriodVersions]:
    """Every issued period of the caller's city, newest period first, with its versions."""
    scope.require(*report.READERS)
    rows = db.scalars(
        select(ReportIssue)
        .where(ReportIssue.city_id == scope.city_id)
        .order_by(
            ReportIssue.period_first.desc(),
            ReportIssue.period_last.desc(),
            ReportIssue.version.desc(),
        )
    ).all()
    grouped: dict[tuple[str, str], list[ReportIssue]] = {}
    for row in rows:
        grouped.setdefault((row.period_first.isoformat(), row.period_last.isoformat()), []).append(
            row
        )
    return [
        PeriodVersions(first=first, last=last, label=period_label(versions[0]), versions=versions)
        for (first, last), versions in grouped.items()
    ]


def period_label(row: ReportIssue) -> str:
    """The issued period as the report labels it: ``2026-06`` for a month."""
    if row.period_kind == PeriodKind.month.value:
        return row.period_first.strftime("%Y-%m")
    if row.period_first == row.period_last:
        return row.period_first.isoformat()
    return f"{row.period_first.isoformat()} – {row.period_last.isoformat()}"


def get(db: Session, *, scope: Scope, issue_id: int) -> ReportIssue | None:
    """An issued version of the caller's city, or None."""
    scope.require(*report.READERS)
    row = db.get(ReportIssue, issue_id)
    return row if row is not None and row.city_id == scope.city_id else None


def get_or_raise(db: Session, *, scope: Scope, issue_id: int) -> ReportIssue:
    """An issued version of the caller's city; ``NotFound`` otherwise."""
    row = get(db, scope=scope, issue_id=issue_id)
    if row is None:
        raise NotFound(f"no issued report {issue_id} in this city")
    return row


def versions_of(db: Session, *, row: ReportIssue) -> list[ReportIssue]:
    """Every version of ``row``'s period, newest first."""
    return list(
        db.scalars(
            select(ReportIssue)
            .where(
                ReportIssue.city_id == row.city_id,
                ReportIssue.period_first == row.period_first,
                ReportIssue.period_last == row.period_last,
            )
            .order_by(ReportIssue.version.desc())
        )
    )


def file_or_raise(
    db: Session, *, scope: Scope, issue_id: int, fmt: ExportFormat, locale: str
) -> ReportIssueFile:
    """The kept file of an issued version in ``fmt`` and ``locale``; ``NotFound`` otherwise."""
    row = get_or_raise(db, scope=scope, issue_id=issue_id)
    check_locale(locale)
    found = db.scalar(
        select(ReportIssueFile).where(
            ReportIssueFile.issue_id == row.id,
            ReportIssueFile.format == fmt.value,
            ReportIssueFile.locale == locale,
        )
    )
    if found is None:
        raise NotFound(f"issued report {issue_id} has no {fmt.value} file in {locale}")
    return found


def report_of(row: ReportIssue) -> Report:
    """The report exactly as issued."""
    return issue_snapshot.load(row.snapshot)


def edition_of(row: ReportIssue) -> Edition:
    """What an issued version's files say about it."""
    return Edition(
        version=row.version, issued_at=row.issued_at, issued_by=row.issued_by, reason=row.reason
    )


def file_name(row: ReportIssue, file: ReportIssueFile) -> str:
    """The download name: ``tartip-almaty-2026-06-v2-ru.pdf``."""
    slug = str(row.snapshot.get("city_slug", "city"))
    span = period_label(row).replace(" – ", "_")
    return f"tartip-{slug}-{span}-v{row.version}-{file.locale}.{file.format}"


def _files(row: ReportIssue, built: Report, base_url: str | None) -> list[ReportIssueFile]:
    files: list[ReportIssueFile] = []
    edition = edition_of(row)
    for fmt in ExportFormat:
        for locale in LOCALES:
            out = render(built, fmt=fmt, locale=locale, edition=edition, base_url=base_url)
            files.append(
                ReportIssueFile(
                    city_id=row.city_id,
                    format=fmt.value,
                    locale=locale,
                    content_type=out.content_type,
                    size=len(out.content),
                    sha256=issue_snapshot.sha256(out.content),
                    content=out.content,
                )
            )
    return files


def _next_version(db: Session, *, city_id: int, period: ReportPeriod) -> int:
    latest = db.scalar(
        select(func.max(ReportIssue.version)).where(
            ReportIssue.city_id == city_id,
            ReportIssue.period_first == period.first,
            ReportIssue.period_last == period.last,
        )
    )
    return (latest or 0) + 1


def issue(
    db: Session,
    *,
    scope: Scope,
    period: ReportPeriod,
    reason: str,
    now: datetime | None = None,
    base_url: str | None = None,
) -> ReportIssue:
    """Issue the report of ``period`` as its next version (``reason`` required for a re-issue)."""
    scope.require(*ISSUERS)
    moment = now or utcnow()
    if moment < period.end:
        raise InvalidInput(
            f"the period {period.label} is not over yet: a report is issued once its period ends",
            problems=[Problem("body.month", "a period that has ended")],
        )
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            f"the reason is {len(reason)} characters long; at most {REASON_MAX}",
            problems=[Problem("body.reason", f"at most {REASON_MAX} characters")],
        )
    version = _next_version(db, city_id=scope.city_id, period=period)
    if version > 1 and not reason:
        raise InvalidInput(
            f"the report of {period.label} was issued already: say why it is re-issued",
            problems=[Problem("body.reason", "required for a re-issue")],
        )
    built = report.build(db, scope=scope, period=period, now=moment)
    data = issue_snapshot.dump(built)
    row = ReportIssue(
        city_id=scope.city_id,
        period_kind=period.kind.value,
        period_first=period.first,
        period_last=period.last,
        version=version,
        issued_at=moment,
        issued_by_user_id=scope.user_id,
        issued_by=scope.username,
        reason=reason,
        snapshot=data,
        digest=issue_snapshot.digest(data),
    )
    row.files = _files(row, built, base_url)
    try:
        # A savepoint: two issuers racing for the same version meet the unique constraint.
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"version {version} of the report of {period.label} was issued meanwhile; try again"
        ) from exc
    audit.record(
        db,
        actor=scope.actor,
        action="report.issue" if version == 1 else "report.reissue",
        entity_type="report_issue",
        entity_id=row.id,
        city_id=scope.city_id,
        after={
            "period": period.label,
            "version": version,
            "reason": reason,
            "digest": row.digest,
        },
    )
    return row


def issue_month(
    db: Session,
    *,
    scope: Scope,
    month: str,
    reason: str,
    now: datetime | None = None,
    base_url: str | None = None,
) -> ReportIssue:
    """Issue (or re-issue) the report of ``month`` (``YYYY-MM``) for the caller's city."""
    scope.require(*ISSUERS)
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    period = report_period.month_period(Month.parse(month), city.timezone)
    return issue(db, scope=scope, period=period, reason=reason, now=now, base_url=base_url)


def issue_due(
    db: Session, *, city: City, now: datetime, base_url: str | None = None
) -> ReportIssue | None:
    """Issue last month's report if it is due and not issued yet; None if nothing was due."""
    this_month = Month.containing(now, city.timezone)
    if now < local_midnight(this_month.first_day, city.timezone) + ISSUE_DELAY:
        return None
    period = report_period.month_period(this_month.previous(), city.timezone)
    issued = db.scalar(
        select(func.count(ReportIssue.id)).where(
            ReportIssue.city_id == city.id,
            ReportIssue.period_first == period.first,
            ReportIssue.period_last == period.last,
        )
    )
    if issued:
        return None
    return issue(
        db, scope=_system_scope(city), period=period, reason=JOB_REASON, now=now, base_url=base_url
    )
