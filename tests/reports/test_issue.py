"""Issued reports: frozen when issued, re-issued as new versions, issued monthly by the job."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import pypdf
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput
from tartip.core.i18n import catalogue
from tartip.core.jobs import REGISTRY, JobContext
from tartip.reports import issue, jobs, report, report_period
from tartip.reports.export import ExportFormat
from tartip.reports.models import ReportIssue
from tartip.reports.period import Month, local_midnight
from tartip.settings import Settings
from tartip.web.templating import templates
from tests import builders
from tests.reports import helpers as h

NOW = h.AFTER  # 10 July 2026: June is over


def scope(city: City, role: Role = Role.supervisor, user_id: int | None = None) -> Scope:
    return Scope(user_id=user_id, username=f"{role.value}-1", role=role, city_id=city.id)


def seed(db: Session, city: City) -> None:
    """June: 5 vehicles put in order on 2 June; 7 more at 23:30 on 30 June (still June locally)."""
    jet, yandex = builders.company(db, city, "jet"), builders.company(db, city, "yandex-go")
    h.put_in_order(db, {jet: 3, yandex: 2}, h.at(days=1))
    h.put_in_order(db, {jet: 7}, datetime(2026, 6, 30, 18, 30, tzinfo=UTC))
    h.put_in_order(db, {jet: 100}, datetime(2026, 6, 30, 19, 30, tzinfo=UTC))  # 1 July locally


def csv_total(content: bytes) -> str:
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return next(r["value"] for r in rows if r["key"] == "put_in_order.total")


def test_an_issued_report_never_changes_and_a_reissue_is_a_new_version(
    db: Session, city: City
) -> None:
    seed(db, city)
    first = issue.issue_month(db, scope=scope(city), month=h.MONTH, reason="", now=NOW)
    assert (first.version, first.period_kind, first.reason) == (1, "month", "")
    assert issue.report_of(first).figure("put_in_order.total").value == 12
    assert len(first.files) == 9  # 3 formats × 3 locales
    kept = issue.file_or_raise(
        db, scope=scope(city), issue_id=first.id, fmt=ExportFormat.csv, locale="ru"
    )
    kept_bytes = bytes(kept.content)
    assert csv_total(kept_bytes) == "12"

    # Late data for June arrives: the issued version does not move.
    h.put_in_order(db, {builders.company(db, city, "jet"): 30}, h.at(days=20))
    db.expire_all()
    again = issue.get_or_raise(db, scope=scope(city), issue_id=first.id)
    assert issue.report_of(again).figure("put_in_order.total").value == 12
    assert (
        bytes(
            issue.file_or_raise(
                db, scope=scope(city), issue_id=first.id, fmt=ExportFormat.csv, locale="ru"
            ).content
        )
        == kept_bytes
    )

    # A re-issue needs a reason, and then adds version 2 with the new figure.
    with pytest.raises(InvalidInput, match="say why"):
        issue.issue_month(db, scope=scope(city), month=h.MONTH, reason="  ", now=NOW)
    second = issue.issue_month(
        db, scope=scope(city), month=h.MONTH, reason="Late work logs", now=NOW
    )
    assert second.version == 2
    assert issue.report_of(second).figure("put_in_order.total").value == 42
    assert second.digest != first.digest
    [period] = issue.list_issues(db, scope=scope(city))
    assert period.label == "2026-06"
    assert [v.version for v in period.versions] == [2, 1] and period.current.id == second.id
    assert (
        issue.report_of(issue.get_or_raise(db, scope=scope(city), issue_id=first.id))
        .figure("put_in_order.total")
        .value
        == 12
    )

    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "report_issue")
        .order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert actions == ["report.issue", "report.reissue"]


def test_who_may_issue_and_read(db: Session, city: City) -> None:
    seed(db, city)
    with pytest.raises(Forbidden):
        issue.issue_month(
            db, scope=scope(city, Role.city_viewer), month=h.MONTH, reason="", now=NOW
        )
    row = issue.issue_month(db, scope=scope(city, Role.admin), month=h.MONTH, reason="", now=NOW)
    assert issue.get(db, scope=scope(city, Role.city_viewer), issue_id=row.id) is not None
    rep = Scope(user_id=None, username="rep", role=Role.company_rep, city_id=city.id, company_id=1)
    with pytest.raises(Forbidden):
        issue.list_issues(db, scope=rep)
    with pytest.raises(Forbidden):
        issue.get(db, scope=rep, issue_id=row.id)
    with pytest.raises(Forbidden):
        issue.get(db, scope=scope(city, Role.scout), issue_id=row.id)


def test_a_month_not_over_cannot_be_issued(db: Session, city: City) -> None:
    with pytest.raises(InvalidInput, match="not over"):
        issue.issue_month(
            db, scope=scope(city), month=h.MONTH, reason="",
            now=datetime(2026, 6, 30, 18, 59, tzinfo=UTC),  # 30 June 23:59 in Almaty
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        issue.issue_month(db, scope=scope(city), month="June", reason="", now=NOW)


def test_the_monthly_job_issues_last_month_once_the_delay_has_passed(
    db: Session, city: City
) -> None:
    seed(db, city)
    # 1 July 05:59 in Almaty: the new month is not yet six hours old.
    assert issue.issue_due(db, city=city, now=datetime(2026, 7, 1, 0, 59, tzinfo=UTC)) is None
    row = issue.issue_due(db, city=city, now=datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
    assert row is not None
    assert (issue.period_label(row), row.version, row.issued_by_user_id) == ("2026-06", 1, None)
    assert row.issued_by == issue.JOB_LABEL and row.reason == issue.JOB_REASON
    assert issue.report_of(row).figure("put_in_order.total").value == 12
    # Run again (every 15 minutes): nothing more.
    assert issue.issue_due(db, city=city, now=datetime(2026, 7, 1, 1, 15, tzinfo=UTC)) is None
    count = db.scalars(select(ReportIssue).where(ReportIssue.city_id == city.id)).all()
    assert len(count) == 1


def test_api_issue_list_read_and_download(app_client: TestClient, db: Session, city: City) -> None:
    seed(db, city)
    boss = builders.make_user(db, city, username="boss", role=Role.supervisor)
    viewer = builders.make_user(db, city, username="viewer", role=Role.city_viewer)
    rep = builders.make_user(db, city, username="rep", role=Role.company_rep, company_slug="jet")
    as_boss = {"Authorization": f"Bearer {builders.token_for(db, boss)}"}
    as_viewer = {"Authorization": f"Bearer {builders.token_for(db, viewer)}"}
    as_rep = {"Authorization": f"Bearer {builders.token_for(db, rep)}"}

    denied = app_client.post("/api/v1/reports/issues", json={"month": h.MONTH}, headers=as_viewer)
    assert denied.status_code == 403
    created = app_client.post("/api/v1/reports/issues", json={"month": h.MONTH}, headers=as_boss)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["version"], body["current"], body["period_label"]) == (1, True, "2026-06")
    assert len(body["files"]) == 9
    again = app_client.post("/api/v1/reports/issues", json={"month": h.MONTH}, headers=as_boss)
    assert again.status_code == 422 and "say why" in again.text

    listing = app_client.get("/api/v1/reports/issues", headers=as_viewer)
    assert listing.status_code == 200
    assert [p["period_label"] for p in listing.json()] == ["2026-06"]
    detail = app_client.get(f"/api/v1/reports/issues/{body['id']}", headers=as_viewer).json()
    total = next(
        f for s in detail["report"]["sections"] for f in s["figures"]
        if f["key"] == "put_in_order.total"
    )  # fmt: skip
    assert total["value"] == 12

    pdf = app_client.get(
        f"/api/v1/reports/issues/{body['id']}/files/pdf", params={"locale": "ru"}, headers=as_viewer
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "tartip-almaty-2026-06-v1-ru.pdf" in pdf.headers["content-disposition"]
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Город: Алматы" in text and "Версия: 1" in text
    xlsx = app_client.get(
        f"/api/v1/reports/issues/{body['id']}/files/xlsx",
        params={"locale": "kk"},
        headers=as_viewer,
    )
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.worksheets[0]["A1"].value
    about = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert about["Нұсқа"] == "1"
    for bad in ("docx", "pdf?locale=de"):
        assert (
            app_client.get(
                f"/api/v1/reports/issues/{body['id']}/files/{bad}", headers=as_viewer
            ).status_code
            == 422
        )
    assert app_client.get("/api/v1/reports/issues", headers=as_rep).status_code == 403
    assert (
        app_client.get(f"/api/v1/reports/issues/{body['id']}/files/pdf", headers=as_rep).status_code
        == 403
    )
    assert app_client.get("/api/v1/reports/issues/99999", headers=as_viewer).status_code == 404

    live = app_client.get(
        "/api/v1/reports/export/csv",
        params={"period": "month", "at": h.MONTH, "locale": "en"},
        headers=as_viewer,
    )
    assert live.status_code == 200 and csv_total(live.content) == "12"


def test_pages_list_issue_reissue_and_download(
    app_client: TestClient, db: Session, city: City
) -> None:
    seed(db, city)
    builders.make_user(db, city, username="boss", role=Role.supervisor)
    builders.login(app_client, "boss")
    page = app_client.get("/reports/issues")
    assert page.status_code == 200 and 'data-testid="issues-none"' in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    posted = app_client.post(
        "/reports/issues",
        data={"month": h.MONTH, "reason": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    first_url = posted.headers["location"]
    h.put_in_order(db, {builders.company(db, city, "jet"): 30}, h.at(days=20))
    reissued = app_client.post(
        "/reports/issues",
        data={"month": h.MONTH, "reason": "Поздние данные", "csrf_token": token},
        follow_redirects=False,
    )
    second_url = reissued.headers["location"]
    old = app_client.get(first_url)
    assert old.status_code == 200 and 'data-testid="issue-superseded"' in old.text
    new = app_client.get(second_url)
    assert "Поздние данные" in new.text and 'data-testid="issue-superseded"' not in new.text
    listing = app_client.get("/reports/issues")
    assert 'data-testid="issue-2026-06-v2"' in listing.text
    assert 'data-testid="issue-2026-06-v1"' in listing.text
    issue_id = int(first_url.rsplit("/", 1)[1])
    old_csv = app_client.get(f"/reports/issues/{issue_id}/files/csv", params={"locale": "ru"})
    assert csv_total(old_csv.content) == "12"
    new_csv = app_client.get(f"{second_url}/files/csv", params={"locale": "ru"})
    assert csv_total(new_csv.content) == "42"
    live = app_client.get("/reports/export/xlsx", params={"period": "month", "at": h.MONTH})
    assert live.status_code == 200
    assert live.headers["content-type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"period": "month", "at": h.MONTH}, "2026-06"),
        ({"start": "2026-06-03", "end": "2026-06-05"}, "2026-06-03_2026-06-05"),
        ({"period": "day", "at": "2026-06-02"}, "2026-06-02"),
    ],
)
def test_download_links_of_the_report_page_fetch_the_same_period(
    app_client: TestClient, db: Session, city: City, query: dict[str, str], expected: str
) -> None:
    seed(db, city)
    viewer = builders.make_user(db, city, username="viewer", role=Role.city_viewer)
    found = report.build(
        db, scope=scope(city, Role.city_viewer, viewer.id), period=report_period.parse(
            timezone=city.timezone, now=NOW, **query
        ), now=NOW,
    )  # fmt: skip
    snippet = templates.env.get_template("reports/issue_downloads.html").render(
        report=found, locale="kk", _=catalogue("kk").gettext
    )
    links = re.findall(r'href="(/reports/export/[^"]+)"', snippet)
    assert [link.split("?")[0] for link in links] == [
        "/reports/export/pdf",
        "/reports/export/xlsx",
        "/reports/export/csv",
    ]
    builders.login(app_client, "viewer")
    response = app_client.get(html.unescape(links[2]))
    assert response.status_code == 200, response.text
    assert f"tartip-almaty-{expected}-kk.csv" in response.headers["content-disposition"]


def test_the_registered_job_issues_the_month_before_now(
    db: Session, city: City, settings: Settings
) -> None:
    ctx = JobContext(settings=settings, http=None)
    assert REGISTRY["reports.issue_monthly"].run is jobs.issue_monthly
    jobs.issue_monthly(ctx, db, city)
    now = utcnow()
    this_month = Month.containing(now, city.timezone)
    rows = db.scalars(select(ReportIssue).where(ReportIssue.city_id == city.id)).all()
    if now < local_midnight(this_month.first_day, city.timezone) + issue.ISSUE_DELAY:
        assert rows == []  # the first hours of a month: not due yet
        return
    assert [(issue.period_label(r), r.version) for r in rows] == [(this_month.previous().label, 1)]
    kept = bytes(rows[0].files[-1].content).decode("utf-8-sig")  # the English CSV
    links = [row for row in csv.DictReader(io.StringIO(kept)) if row["records"]]
    assert links and all(r["records"].startswith(settings.public_base_url) for r in links)
    jobs.issue_monthly(ctx, db, city)
    assert len(db.scalars(select(ReportIssue)).all()) == 1
