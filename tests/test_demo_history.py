"""The demo's last month (``demo_history``): October's report is full, within an Almaty-like
scale, every figure opens the records it counted, the history is written once, and the monthly
job issues the month's report from it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip import demo_history
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints.models import Complaint, ComplaintTransition
from tartip.compliance.models import Violation
from tartip.damage.models import DamageCase, Handover, HandoverEvent
from tartip.demo import seed_city
from tartip.events.models import CityEvent
from tartip.ops.models import Shift, Task, WorkLog, WorkLogCount
from tartip.reports import issue, report, report_period, report_records
from tartip.reports import service as scorecard_service
from tartip.reports.export import ExportFormat
from tartip.reports.report_model import Records, Report
from tartip.reports.scorecard import MeasureKey
from tartip.safety.models import Incident
from tartip.trips.statistics_models import TripCellRollup, TripMeasureRollup, TripRollup
from tartip.zones.models import ZoneVersion

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)  # October is over; its report is due
MONTH = "2026-10"
# The demo's own start (``demo.seed_city``) needs no simulator to seed: nothing is fetched.
SIMULATOR = "http://127.0.0.1:9"
TABLES = (
    Task, WorkLog, WorkLogCount, Shift, CityEvent, Complaint, ComplaintTransition, DamageCase,
    Handover, HandoverEvent, Violation, TripRollup, TripMeasureRollup, TripCellRollup, Incident,
)  # fmt: skip


def supervisor(city: City) -> Scope:
    return Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)


def october(db: Session, city: City) -> Report:
    period = report_period.parse(timezone=city.timezone, now=NOW, period="month", at=MONTH)
    return report.build(db, scope=supervisor(city), period=period, now=NOW)


def seeded(db: Session, city: City) -> None:
    seed_city(db, city, simulator_base=SIMULATOR)
    assert demo_history.seed_history(db, city, now=NOW)


def listed(db: Session, city: City, link: Records) -> int | float | None:
    params = dict(link.params)
    found = report_records.records(
        db, scope=supervisor(city), kind=link.figure, start=params.pop("start"),
        end=params.pop("end"), filters=params, now=NOW,
    )  # fmt: skip
    return found.total


def check_report(db: Session, city: City) -> None:
    """October's figures, at an Almaty-like scale, each agreeing with the records it opens."""
    got = october(db, city)
    assert got.complete and got.period.label == MONTH
    f = {x.key: x.value for x in got.figures()}
    assert 60_000 <= f["put_in_order.total"] <= 120_000
    assert 8_000 <= f["put_in_order.tasks"] <= 15_000
    assert 50 <= f["complaints.total"] <= 70
    assert f["complaints.government"] > 0 and f["complaints.citizen"] > 0
    assert 0 < f["complaints.overdue"] <= f["complaints.open"] <= 5
    assert f["complaints.resolved"] >= 0.8 * f["complaints.total"]
    assert 200 <= f["damage.handed_over"] <= 300
    assert 0.8 * f["damage.handed_over"] <= f["damage.collected"] < f["damage.handed_over"]
    assert 100 <= f["violations.opened"] <= 800
    assert f["duty_zones.count"] == f["duty_zones.covered"] == 15
    assert f["events.count"] == f["events.staffed"] == 2
    assert 40 <= f["staff.people"] <= 50
    assert 25_000 <= f["trips.per_day"] <= 35_000
    assert 15 <= f["vision_zero.total"] <= 30
    by_company = got.table("trips.by_company")
    assert len(by_company.rows) == 3 and all(row.cells[1] for row in by_company.rows)
    assert len(got.table("scorecard.companies").rows) == 3
    check_feed_measures(db, city)

    checked = 0
    for fig in got.figures():
        if fig.records is not None:
            assert listed(db, city, fig.records) == fig.value, fig.key
            checked += 1
    for section in got.sections:
        for table in section.tables:
            for row in table.rows:
                for column, link in row.records.items():
                    cell = row.cells[table.column(column)]
                    assert listed(db, city, link) == cell, (table.key, column, row.cells[0])
                    checked += 1
    assert checked > 100


def check_feed_measures(db: Session, city: City) -> None:
    """The month's feed pulls live on as slot sums: each company's scorecard measures its feed."""
    card = scorecard_service.scorecard(db, scope=supervisor(city), month=MONTH, now=NOW)
    up = []
    for company in card.companies:
        feed = company.measure(MeasureKey.feed)
        assert 0.97 <= (feed.figure("pull_success_share").value or 0) < 1
        up.append(feed.figure("time_up_share").value or 0)
        assert 0 < (feed.figure("median_age_s").value or 0) < 300
        deployed = company.measure(MeasureKey.deployed)
        cap = deployed.figure("cap").value or 0
        assert 0.7 * cap < (deployed.figure("average").value or 0) < cap
    # One company's feed was down for two hours: 24 slots of the month's 8,928.
    assert sorted(up)[0] == round(1 - 24 / (31 * 288), 4) and sorted(up)[1:] == [1.0, 1.0]


def row_counts(db: Session) -> dict[str, int | None]:
    return {t.__tablename__: db.scalar(select(func.count()).select_from(t)) for t in TABLES}


def check_written_once(db: Session, city: City) -> None:
    """A second start (this month or a later one) writes nothing, and moves no zone."""
    counts = row_counts(db)
    versions = dict(db.execute(select(ZoneVersion.id, ZoneVersion.in_force_from)).all())
    assert not demo_history.seed_history(db, city, now=NOW)
    assert not demo_history.seed_history(db, city, now=datetime(2027, 1, 5, tzinfo=UTC))
    assert row_counts(db) == counts
    assert dict(db.execute(select(ZoneVersion.id, ZoneVersion.in_force_from)).all()) == versions


def check_issued(db: Session, city: City) -> None:
    """The monthly job's function issues October's report once, in Russian PDF and XLSX too."""
    issued = issue.issue_due(db, city=city, now=NOW)
    assert issued is not None and issue.period_label(issued) == MONTH and issued.version == 1
    assert issue.issue_due(db, city=city, now=NOW) is None  # issued once
    [month] = issue.list_issues(db, scope=supervisor(city))
    assert month.label == MONTH and [v.version for v in month.versions] == [1]
    kept, fresh = issue.report_of(issued), october(db, city)
    for key in ("put_in_order.total", "complaints.total", "damage.handed_over", "trips.total"):
        assert kept.figure(key).value == fresh.figure(key).value and fresh.figure(key).value
    pdf = issue.file_or_raise(
        db, scope=supervisor(city), issue_id=issued.id, fmt=ExportFormat.pdf, locale="ru"
    )
    xlsx = issue.file_or_raise(
        db, scope=supervisor(city), issue_id=issued.id, fmt=ExportFormat.xlsx, locale="ru"
    )
    assert bytes(pdf.content).startswith(b"%PDF") and bytes(xlsx.content).startswith(b"PK")


def test_the_demos_last_month_is_reported_written_once_and_issued(db: Session, city: City) -> None:
    # One test: seeding the demo city and its month is the costly part (seconds per backend).
    seeded(db, city)
    check_report(db, city)
    check_written_once(db, city)
    check_issued(db, city)
