"""One seeded month, read by every page that shows the same thing: the report, the city view's
trends and district map, the companies' scorecard and the public page (open data) must agree —
and every figure of the report must equal the total of the records behind it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.complaints.enums import ComplaintCategory, ComplaintSource, ComplaintStatus
from tartip.complaints.models import Complaint
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import DamageCase, Handover
from tartip.public import service as public_service
from tartip.reports import dashboards_city, dashboards_maps, report, report_period, report_records
from tartip.reports import scorecard as sc
from tartip.reports import service as reports_service
from tartip.reports.period import Month
from tartip.reports.report_model import Records, Report
from tests import builders
from tests.reports import helpers as h

NOW = h.AFTER  # 10 July 2026: June is over
ALMALY = (76.9057, 43.2520)
MEDEU = (76.96, 43.25)


def supervisor(city: City) -> Scope:
    return Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)


def complaint(
    db: Session, city: City, received: datetime, place: tuple[float, float], *,
    status: ComplaintStatus = ComplaintStatus.received, closed: datetime | None = None,
) -> None:  # fmt: skip
    db.add(
        Complaint(
            city_id=city.id, reference=f"AG-{uuid.uuid4().hex[:8]}",
            source=ComplaintSource.citizen, category=ComplaintCategory.badly_parked,
            status=status, lon=place[0], lat=place[1], occurred_at=received,
            received_at=received, due_at=received + timedelta(days=1), closed_at=closed,
        )
    )  # fmt: skip
    db.flush()


def resolved_without_collection(db: Session, company: Company, handed: datetime) -> None:
    """A handover the company resolved at once (repaired on the spot): never 'collected'."""
    case = DamageCase(
        city_id=company.city_id, company_id=company.id, vehicle_code=f"rs-{uuid.uuid4().hex[:6]}",
        key=f"rs-{uuid.uuid4().hex}", kinds=["broken"], first_reported_at=handed,
        last_reported_at=handed, report_count=1,
    )  # fmt: skip
    db.add(case)
    db.flush()
    db.add(
        Handover(
            city_id=company.city_id, case_id=case.id, company_id=company.id,
            reference=f"H-{uuid.uuid4().hex[:10]}", status=HandoverStatus.resolved,
            handed_over_at=handed, due_at=handed + timedelta(hours=24),
            resolved_at=handed + timedelta(hours=3),
        )
    )  # fmt: skip
    db.flush()


def seed(db: Session, city: City) -> dict[str, Company]:
    """June 2026 with edges at both ends of the month (Asia/Almaty), counts of at least 10 so
    the public page shows them, and a vehicle resolved without a collection time."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    h.put_in_order(db, {jet: 30, whoosh: 25}, h.at(days=1))
    h.put_in_order(db, {jet: 7}, datetime(2026, 6, 30, 18, 30, tzinfo=UTC))  # 23:30 local: June
    h.put_in_order(db, {jet: 400}, datetime(2026, 6, 30, 19, 10, tzinfo=UTC))  # 1 July local
    h.put_in_order(db, {whoosh: 500}, datetime(2026, 5, 31, 18, 50, tzinfo=UTC))  # 31 May local
    for n in range(8):
        complaint(db, city, h.at(days=2 + n), ALMALY)
    for n in range(4):
        closed = h.at(days=3 + n, hours=5)
        complaint(db, city, h.at(days=3 + n), MEDEU, status=ComplaintStatus.resolved, closed=closed)
    complaint(db, city, datetime(2026, 6, 30, 19, 5, tzinfo=UTC), ALMALY)  # 1 July local
    for n in range(6):
        h.handover(db, jet, h.at(days=4 + n), collected=h.at(days=4 + n, hours=2 + n))
    for n in range(4):
        h.handover(db, whoosh, h.at(days=5 + n))
    resolved_without_collection(db, whoosh, h.at(days=12))
    h.handover(db, whoosh, h.at(days=13), cancelled=True)  # withdrawn: counted nowhere
    h.trips(db, jet, date(2026, 6, 3), 600)
    h.trips(db, whoosh, date(2026, 6, 30), 400)
    h.trips(db, jet, date(2026, 7, 1), 50)
    return {"jet": jet, "whoosh": whoosh}


def build(db: Session, city: City) -> Report:
    period = report_period.parse(timezone=city.timezone, now=NOW, period="month", at=h.MONTH)
    return report.build(db, scope=supervisor(city), period=period, now=NOW)


def june_trend(db: Session, city: City) -> dict[dashboards_city.Series, int]:
    found = dashboards_city.trends(
        db, scope=supervisor(city), city=city, step=dashboards_city.Step.month, count=3, now=NOW
    )
    i = next(i for i, b in enumerate(found.buckets) if b.first == date(2026, 6, 1))
    return {s: values[i] for s, values in found.series.items()}


def records_of(db: Session, city: City, records: Records) -> report_records.RecordList:
    params = dict(records.params)
    start, end = params.pop("start", None), params.pop("end", None)
    found = report_records.records(
        db, scope=supervisor(city), kind=records.figure, start=start, end=end, filters=params,
        now=NOW,
    )  # fmt: skip
    return found


def test_the_report_the_city_view_the_scorecard_and_the_public_page_agree(
    db: Session, city: City
) -> None:
    companies = seed(db, city)
    got = build(db, city)
    trend = june_trend(db, city)
    card = reports_service.scorecard(db, scope=supervisor(city), month=h.MONTH, now=NOW)
    public = public_service.month_results(db, city=city, month=Month(2026, 6), now=NOW)
    S = dashboards_city.Series

    put = got.figure("put_in_order.total").value
    assert put == 30 + 25 + 7
    by_card = {
        c.company.slug: c.measure(sc.MeasureKey.put_in_order).figure("vehicles_put_in_order").value
        for c in card.companies
    }
    assert sum(v or 0 for v in by_card.values()) == put == trend[S.put_in_order]
    assert public.put_in_order == put
    table = got.table("put_in_order.by_company")
    assert {table.value(i, "company"): table.value(i, "count") for i in range(len(table.rows))} == {
        companies[s].name: by_card[s] for s in ("jet", "whoosh")
    }
    # The report's scorecard section shows the scorecard's own numbers under its labels.
    cards = got.table("scorecard.companies")
    names = {c.company.name: c.company.slug for c in card.companies}
    assert [names[str(r.cells[0])] for r in cards.rows] == [c.company.slug for c in card.companies]
    for i, row in enumerate(cards.rows):
        shown = cards.value(i, "put_in_order.vehicles_put_in_order")
        assert shown == by_card[names[str(row.cells[0])]]

    received = got.figure("complaints.total").value
    assert received == 12 == trend[S.complaints] == public.complaints_received
    assert got.figure("complaints.resolved").value == 4
    # Below k = 10 the public page hides the count rather than show it.
    assert public.complaints_resolved is None

    handed = got.figure("damage.handed_over").value
    assert handed == 11 == trend[S.handovers] == public.damaged_handed_over
    damage = got.table("damage.by_company")
    for i, row in enumerate(damage.rows):
        company = next(c for c in companies.values() if c.name == row.cells[0])
        measure = next(c for c in card.companies if c.company.id == company.id).measure(
            sc.MeasureKey.damage_collection
        )
        assert damage.value(i, "handed_over") == measure.figure("handed_over").value
        assert damage.value(i, "collected") == measure.figure("collected").value
        assert damage.value(i, "median_hours") == measure.figure("median_hours").value
    # The vehicle Whoosh resolved without collecting it is off the street, in both.
    whoosh = next(i for i, r in enumerate(damage.rows) if r.cells[0] == companies["whoosh"].name)
    assert damage.value(whoosh, "collected") == 1
    assert damage.value(whoosh, "median_hours") == 3.0

    trips = got.figure("trips.total").value
    assert trips == 1000 == trend[S.trips] == public.trips
    by_trips = sum(
        c.measure(sc.MeasureKey.complaints).figure("trips").value or 0 for c in card.companies
    )
    assert by_trips == trips


def test_complaints_by_district_agree_with_the_city_view_map(db: Session, city: City) -> None:
    seed(db, city)
    got = build(db, city).table("complaints.by_district")
    days = dashboards_maps.map_period(first="2026-06-01", last="2026-06-30", now=NOW,
                                      timezone=city.timezone)  # fmt: skip
    shown = dashboards_maps.district_complaints(
        db, scope=supervisor(city), city=city, period=days, now=NOW, locale="en"
    )
    rows = {got.value(i, "district"): got.rows[i].cells[1:] for i in range(len(got.rows))}
    assert rows == {r.name or report.OUTSIDE_DISTRICT: (r.total, r.open, r.overdue)
                    for r in shown.rows}  # fmt: skip
    assert rows["Almaly"] == (8, 8, 8) and rows["Medeu"] == (4, 0, 0)
    assert sum(r[0] for r in rows.values() if isinstance(r[0], int)) == 12


@pytest.mark.parametrize("what", ["figures", "tables"])
def test_every_linked_number_equals_the_total_of_its_records(
    db: Session, city: City, what: str
) -> None:
    seed(db, city)
    got = build(db, city)
    checked = 0
    if what == "figures":
        for f in got.figures():
            if f.records is not None:
                assert records_of(db, city, f.records).total == f.value, f.key
                checked += 1
    else:
        for section in got.sections:
            for t in section.tables:
                for row in t.rows:
                    for column, records in row.records.items():
                        assert records_of(db, city, records).total == t.value(
                            t.rows.index(row), column
                        ), (t.key, row.cells[0], column)
                        checked += 1
    assert checked >= 10
