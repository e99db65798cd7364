"""The operator's report: each figure against hand-counted fixtures, and its records agree."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints.enums import ComplaintSource, ComplaintStatus
from tartip.complaints.models import Complaint
from tartip.core.errors import Forbidden, InvalidInput
from tartip.damage import figures as damage_figures
from tartip.events.models import CityEvent
from tartip.ops.models import Shift
from tartip.reports import report, report_period, report_records
from tartip.reports.report_model import PeriodKind, ReportPeriod, msgids
from tests import builders
from tests.reports import helpers as h

NOW = h.AFTER  # 10 July 2026: June is over


def scope(city: City, role: Role = Role.supervisor) -> Scope:
    return Scope(user_id=None, username="t", role=role, city_id=city.id)


def june(city: City) -> ReportPeriod:
    return report_period.parse(timezone=city.timezone, now=NOW, period="month", at=h.MONTH)


def seed(db: Session, city: City) -> dict[str, object]:
    """Hand-counted June: the numbers each figure must show."""
    jet, yandex = builders.company(db, city, "jet"), builders.company(db, city, "yandex-go")
    h.put_in_order(db, {jet: 3, yandex: 2}, h.at(days=1))
    # 30 June 23:30 in Almaty (18:30 UTC) is June; 1 July 00:30 local is not.
    h.put_in_order(db, {jet: 4}, datetime(2026, 6, 30, 18, 30, tzinfo=UTC))
    h.put_in_order(db, {jet: 100}, datetime(2026, 6, 30, 19, 30, tzinfo=UTC))
    # 31 May 23:59 local is May.
    h.put_in_order(db, {yandex: 50}, datetime(2026, 5, 31, 18, 59, tzinfo=UTC))
    h.complaint(db, h.at(days=2), {jet: {}})  # open, due 3 June: overdue now
    h.complaint(db, h.at(days=3), {yandex: {}}, status=ComplaintStatus.resolved)
    reopened = db.query(Complaint).order_by(Complaint.id.desc()).first()
    assert reopened is not None
    # Resolved, re-opened and resolved again: the last close counts (10 hours after receipt).
    reopened.closed_at = reopened.received_at + timedelta(hours=10)
    reopened.source = ComplaintSource.government
    h.complaint(db, h.at(days=40), {jet: {}})  # July: not in June
    h.handover(db, jet, h.at(days=5), collected=h.at(days=5, hours=4))
    h.handover(db, jet, h.at(days=6))
    h.handover(db, yandex, h.at(days=7), collected=h.at(days=7, hours=10))
    h.trips(db, jet, date(2026, 6, 1), 120)
    h.trips(db, yandex, date(2026, 6, 2), 80)
    h.trips(db, jet, date(2026, 7, 1), 999)
    scout = builders.make_user(db, city, username="scout-a", role=Role.scout)
    event = CityEvent(
        city_id=city.id, name="Kairat – Astana", venue_name="Central stadium", venue_lon=h.LON,
        venue_lat=h.LAT, starts_at=h.at(days=10, hours=14), ends_at=h.at(days=10, hours=17),
    )  # fmt: skip
    db.add(event)
    db.flush()
    db.add_all(
        [
            Shift(city_id=city.id, user_id=scout.id, starts_at=h.at(days=10, hours=12),
                  ends_at=h.at(days=10, hours=20), city_event_id=event.id,
                  checked_in_at=h.at(days=10, hours=12), checked_out_at=h.at(days=10, hours=18)),
            Shift(city_id=city.id, user_id=scout.id, starts_at=h.at(days=11, hours=9),
                  ends_at=h.at(days=11, hours=17)),  # planned, never checked in
        ]
    )  # fmt: skip
    db.flush()
    return {"jet": jet, "yandex": yandex}


def test_each_figure_of_a_month_against_hand_counts(db: Session, city: City) -> None:
    seed(db, city)
    got = report.build(db, scope=scope(city), period=june(city), now=NOW)
    assert got.complete and got.period.label == "2026-06" and got.period.days == 30
    assert got.period.start == datetime(2026, 5, 31, 19, tzinfo=UTC)
    f = {x.key: x.value for x in got.figures()}
    assert f["put_in_order.total"] == 3 + 2 + 4
    assert f["put_in_order.tasks"] == 2
    by_company = got.table("put_in_order.by_company")
    assert [(r.cells[0], r.cells[1]) for r in by_company.rows] == [("Jet", 7), ("Yandex Go", 2)]
    assert [r.cells for r in got.table("put_in_order.by_month").rows] == [("2026-06", 9)]
    assert f["complaints.total"] == 2 and f["complaints.government"] == 1
    assert f["complaints.citizen"] == 1 and f["complaints.resolved"] == 1
    assert f["complaints.open"] == 1 and f["complaints.overdue"] == 1
    assert f["complaints.median_hours"] == 10.0
    assert f["damage.found"] == 3 and f["damage.handed_over"] == 3 and f["damage.collected"] == 2
    assert f["damage.median_hours"] == 7.0 and f["damage.p90_hours"] == 10.0
    assert f["trips.total"] == 200 and f["trips.peak_day"] == 120
    assert f["staff.people"] == 1 and f["staff.shifts_planned"] == 2
    assert f["staff.shifts_worked"] == 1 and f["staff.hours"] == 6.0
    assert f["events.count"] == 1 and f["events.staffed"] == 1
    assert got.chart("put_in_order.daily").x[0] == "2026-06-01"
    assert got.section("scorecard").tables[0].rows  # a month brings the scorecard
    assert all(isinstance(m, str) and m for m in msgids(got))


def test_damage_agrees_with_the_damage_domain(db: Session, city: City) -> None:
    seed(db, city)
    got = report.build(db, scope=scope(city), period=june(city), now=NOW)
    domain = damage_figures.totals(
        damage_figures.figures(db, scope=scope(city), since=h.MONTH, until=h.MONTH).rows
    )
    assert got.figure("damage.found").value == domain["found"]
    assert got.figure("damage.handed_over").value == domain["handed_over"]
    assert got.figure("damage.collected").value == domain["collected"]


def test_every_figure_with_records_adds_up_to_its_records(db: Session, city: City) -> None:
    seed(db, city)
    got = report.build(db, scope=scope(city), period=june(city), now=NOW)
    checked = 0
    for fig in got.figures():
        if fig.records is None or fig.key in ("put_in_order.tasks", "staff.people", "staff.hours"):
            continue
        params = dict(fig.records.params)
        found = report_records.records(
            db, scope=scope(city), kind=fig.records.figure, start=params.pop("start"),
            end=params.pop("end"), filters=params, now=NOW,
        )  # fmt: skip
        assert found.total == fig.value, fig.key
        checked += 1
    for table in ("put_in_order.by_company", "damage.by_company", "complaints.by_source"):
        for row in got.table(table).rows:
            for column, link in row.records.items():
                params = dict(link.params)
                found = report_records.records(
                    db, scope=scope(city), kind=link.figure, start=params.pop("start"),
                    end=params.pop("end"), filters=params, now=NOW,
                )  # fmt: skip
                assert found.total == row.cells[got.table(table).column(column)], (table, column)
                checked += 1
    assert checked > 20


def test_a_week_and_a_day_and_custom_periods(db: Session, city: City) -> None:
    seed(db, city)
    tz = city.timezone
    week = report_period.parse(timezone=tz, now=NOW, period="week", at="2026-06-03")
    assert (week.first, week.last, week.kind) == (
        date(2026, 6, 1),
        date(2026, 6, 7),
        PeriodKind.week,
    )
    day = report_period.parse(timezone=tz, now=NOW, period="day", at="2026-06-30")
    got = report.build(db, scope=scope(city), period=day, now=NOW)
    assert got.figure("put_in_order.total").value == 4  # the task finished at 23:30
    with pytest.raises(KeyError):
        got.section("scorecard")
    custom = report_period.parse(timezone=tz, now=NOW, start="2026-06-30", end="2026-07-01")
    assert (
        report.build(db, scope=scope(city), period=custom, now=NOW)
        .figure("put_in_order.total")
        .value
        == 104
    )
    with pytest.raises(InvalidInput):
        report_period.parse(timezone=tz, now=NOW, start="2026-07-02", end="2026-07-01")
    with pytest.raises(InvalidInput):
        report_period.parse(timezone=tz, now=NOW, period="month", at="2026-08")


def test_a_company_representative_may_not_read_it(db: Session, city: City) -> None:
    with pytest.raises(Forbidden):
        report.build(db, scope=scope(city, Role.company_rep), period=june(city), now=NOW)


def test_the_api_and_the_pages(app_client: TestClient, db: Session, city: City) -> None:
    seed(db, city)
    viewer = builders.make_user(db, city, username="viewer", role=Role.city_viewer)
    headers = {"Authorization": f"Bearer {builders.token_for(db, viewer)}"}
    response = app_client.get(
        "/api/v1/reports/report", params={"start": "2026-06-01", "end": "2026-06-30"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    figures = {f["key"]: f for s in body["sections"] for f in s["figures"]}
    total = figures["put_in_order.total"]
    assert total["value"] == 9
    records = app_client.get(total["records"]["api_path"], headers=headers)
    assert records.status_code == 200, records.text
    assert records.json()["total"] == 9 and len(records.json()["rows"]) == 2
    assert app_client.get("/api/v1/reports/records/nothing", headers=headers).status_code == 404
    rep = builders.make_user(db, city, username="rep", role=Role.company_rep, company_slug="jet")
    rep_headers = {"Authorization": f"Bearer {builders.token_for(db, rep)}"}
    assert app_client.get("/api/v1/reports/report", headers=rep_headers).status_code == 403
    builders.login(app_client, "viewer")
    page = app_client.get("/reports/report", params={"period": "month", "at": h.MONTH})
    assert page.status_code == 200, page.text
    assert 'data-testid="figure-put_in_order.total"' in page.text and "<svg" in page.text
    # The page offers the same period as files; the PDF link answers with a PDF.
    pdf_link = re.search(r'href="([^"]+)" data-testid="report-download-pdf"', page.text)
    assert pdf_link is not None
    pdf = app_client.get(pdf_link.group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    listing = app_client.get(total["records"]["path"])
    assert listing.status_code == 200 and 'data-testid="records-total">9<' in listing.text
    ru = app_client.get(
        "/reports/report?period=month&at=2026-06", headers={"Accept-Language": "ru"}
    )
    assert ru.status_code == 200
