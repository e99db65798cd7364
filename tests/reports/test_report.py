"""The operator's report: each figure against hand-counted fixtures, and its records agree."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.complaints.enums import ComplaintSource, ComplaintStatus, MatchState
from tartip.complaints.models import Complaint
from tartip.compliance.enums import ViolationKind
from tartip.core.errors import Forbidden, InvalidInput
from tartip.damage import figures as damage_figures
from tartip.events.models import CityEvent
from tartip.ops.models import Shift
from tartip.reports import report, report_period, report_records
from tartip.reports.report_model import PeriodKind, Records, ReportPeriod, msgids
from tests import builders
from tests.ops.helpers import make_duty_zone
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
        if fig.records is None:
            continue
        params = dict(fig.records.params)
        found = report_records.records(
            db, scope=scope(city), kind=fig.records.figure, start=params.pop("start"),
            end=params.pop("end"), filters=params, now=NOW,
        )  # fmt: skip
        assert found.total == fig.value, fig.key
        checked += 1
    tables = [t.key for section in got.sections for t in section.tables]
    for table in tables:
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


def _listed(db: Session, city: City, records: object) -> report_records.RecordList:
    assert isinstance(records, Records)
    params = dict(records.params)
    return report_records.records(
        db, scope=scope(city), kind=records.figure, start=params.pop("start"),
        end=params.pop("end"), filters=params, now=NOW,
    )  # fmt: skip


def test_people_duty_zones_and_hours_open_the_records_they_count(db: Session, city: City) -> None:
    seed(db, city)
    arbat, medeu = make_duty_zone(db, city, name="Arbat"), make_duty_zone(db, city, name="Medeu")
    other = builders.make_user(db, city, username="scout-b", role=Role.scout)
    db.add_all(
        [
            # Two shifts of one person in Arbat: one person, two shifts, 2.5 + 4 hours.
            Shift(city_id=city.id, user_id=other.id, starts_at=h.at(days=12, hours=8),
                  ends_at=h.at(days=12, hours=12), zone_ids=[arbat.id],
                  checked_in_at=h.at(days=12, hours=8), checked_out_at=h.at(days=12, hours=10.5)),
            Shift(city_id=city.id, user_id=other.id, starts_at=h.at(days=13, hours=8),
                  ends_at=h.at(days=13, hours=12), zone_ids=[arbat.id],
                  checked_in_at=h.at(days=13, hours=8)),  # no check-out: to the planned end
            # Medeu: planned, never worked.
            Shift(city_id=city.id, user_id=other.id, starts_at=h.at(days=14, hours=8),
                  ends_at=h.at(days=14, hours=12), zone_ids=[medeu.id]),
        ]
    )  # fmt: skip
    db.flush()
    got = report.build(db, scope=scope(city), period=june(city), now=NOW)
    people = got.figure("staff.people")
    assert people.value == 2 and got.figure("staff.shifts_planned").value == 5
    listed = _listed(db, city, people.records)
    assert listed.total == 2 and sorted(r[0] for r in listed.rows) == ["scout-a", "scout-b"]
    hours = got.figure("staff.hours")
    assert hours.value == 6.0 + 2.5 + 4.0 == _listed(db, city, hours.records).total
    assert _listed(db, city, hours.records).measure_label == "Hours, summed"
    assert got.figure("duty_zones.count").value == 2
    covered = got.figure("duty_zones.covered")
    assert covered.value == 1
    assert [r[0] for r in _listed(db, city, covered.records).rows] == ["Arbat"]
    table = got.table("duty_zones.coverage")
    arbat_row = next(r for r in table.rows if r.cells[0] == "Arbat")
    assert arbat_row.cells[1:] == (2, 2, 6.5)
    assert _listed(db, city, arbat_row.link("hours")).total == 6.5
    tasks = got.figure("put_in_order.tasks")
    assert tasks.value == 2 == _listed(db, city, tasks.records).total
    per_day = got.figure("put_in_order.per_day")
    assert per_day.value == round(9 / 30, 1) == _listed(db, city, per_day.records).total


def test_scorecard_counts_open_the_records_the_scorecard_counted(db: Session, city: City) -> None:
    companies = seed(db, city)
    jet, yandex = companies["jet"], companies["yandex"]
    assert isinstance(jet, Company) and isinstance(yandex, Company)
    # Only a confirmed or routed match concerns a company; a suggested one does not.
    h.complaint(db, h.at(days=8), {jet: {"state": MatchState.confirmed}})
    h.complaint(db, h.at(days=8), {jet: {"routed": True}, yandex: {}})
    # A clutter of both companies counts once for each; a no-parking of Yandex Go only for it.
    h.violation(db, city, None, ViolationKind.clutter, h.at(days=9),
                by_company={"jet": 3, "yandex-go": 2})  # fmt: skip
    h.violation(db, city, yandex, ViolationKind.no_parking, h.at(days=9, hours=1))
    h.violation(db, city, jet, ViolationKind.fleet_cap, h.at(days=9, hours=2))  # not parking
    got = report.build(db, scope=scope(city), period=june(city), now=NOW)
    table = got.table("scorecard.companies")
    rows = {str(r.cells[0]): r for r in table.rows}
    expected = {
        ("Jet", "complaints.complaints"): 2,
        ("Yandex Go", "complaints.complaints"): 0,
        ("Jet", "parking_violations.violations"): 1,
        ("Yandex Go", "parking_violations.violations"): 2,
        ("Jet", "put_in_order.vehicles_put_in_order"): 7,
        ("Jet", "damage_collection.median_hours"): 4.0,
    }
    for (name, column), value in expected.items():
        row = rows[name]
        assert row.cells[table.column(column)] == value, (name, column)
        assert _listed(db, city, row.link(column)).total == value, (name, column)
    # A rate stands beside its count, unlinked (its formula is on the scorecard page).
    assert rows["Jet"].link("parking_violations.per_100_vehicles") is None


def test_a_measure_the_records_do_not_have_is_a_clear_error(db: Session, city: City) -> None:
    seed(db, city)
    with pytest.raises(InvalidInput, match="measure 'mean' is not one of"):
        report_records.records(db, scope=scope(city), kind="shifts", start="2026-06-01",
                               end="2026-06-30", filters={"measure": "mean"}, now=NOW)  # fmt: skip
    with pytest.raises(InvalidInput, match="events records have no hours"):
        report_records.records(db, scope=scope(city), kind="events", start="2026-06-01",
                               end="2026-06-30", filters={"measure": "p90"}, now=NOW)  # fmt: skip
