"""The city view against hand-counted records, on both databases: trends, hex map, districts.

"Now" is Wednesday 10 June 2026, 10:00 in Almaty (UTC+5). Weeks start on Mondays: 25 May,
1 June and 8 June.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import figures as complaint_figures
from tartip.complaints.enums import ComplaintStatus, MatchState
from tartip.complaints.models import Complaint
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.errors import Forbidden, InvalidInput
from tartip.ops import counts as ops_counts
from tartip.reports import dashboards_city, dashboards_maps
from tartip.reports.dashboards_city import Series, Step
from tartip.reports.dashboards_maps import OUTSIDE, MapLayer
from tartip.reports.dashboards_schemas import DistrictComplaintsRead, HexMapRead, TrendsRead
from tests import builders
from tests.reports import helpers
from tests.reports.test_dashboards_live import scope_of

NOW = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)
ALMATY = "Asia/Almaty"
ALMALY = (76.9057, 43.2520)  # inside Almaly district
MEDEU = (77.0289, 43.1763)  # inside Medeu district
FAR = (75.0, 42.0)  # in no district of Almaty


def local(day: date, hour: float) -> datetime:
    """``hour`` o'clock of ``day`` in Almaty (UTC+5), as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 5)


def violation(
    db: Session, city: City, kind: ViolationKind, opened: datetime, place: tuple[float, float]
) -> None:
    """An open violation at ``place``."""
    key = f"{kind.value}:{opened.isoformat()}:{place}"
    db.add(
        Violation(
            city_id=city.id,
            kind=kind,
            key=key,
            open_key=key,
            lon=place[0],
            lat=place[1],
            opened_at=opened,
            last_seen_at=opened,
        )
    )
    db.flush()


def complaint_at(
    db: Session, city: City, received: datetime, place: tuple[float, float], **kw: object
) -> None:
    """A complaint about Jet received at ``received`` about ``place``."""
    jet = builders.company(db, city, "jet")
    helpers.complaint(db, received, {jet: {"state": MatchState.confirmed}}, **kw)  # type: ignore[arg-type]
    row = db.scalars(select(Complaint).order_by(Complaint.id.desc()).limit(1)).one()
    row.lon, row.lat = place
    db.flush()


@pytest.fixture
def viewer(db: Session, city: City) -> object:
    """A city viewer's scope."""
    return scope_of(builders.make_user(db, city, username="viewer", role=Role.city_viewer))


@pytest.fixture
def seeded(db: Session, city: City) -> None:
    """The records counted by hand in the tests below."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    # Put in order: 2 in week 25 May; 3 late on Sunday 7 June (week 1 June); 4 just after
    # midnight on Monday 8 June (week 8 June), though still 7 June in UTC; 9 before the range.
    helpers.put_in_order(db, {jet: 2}, local(date(2026, 5, 25), 12))
    helpers.put_in_order(db, {jet: 1, whoosh: 2}, local(date(2026, 6, 7), 23.5))
    helpers.put_in_order(db, {whoosh: 4}, local(date(2026, 6, 8), 0.2))
    helpers.put_in_order(db, {jet: 9}, local(date(2026, 5, 20), 12))
    violation(db, city, ViolationKind.clutter, local(date(2026, 6, 2), 9.5), ALMALY)
    violation(db, city, ViolationKind.clutter, local(date(2026, 6, 9), 9.1), ALMALY)
    violation(db, city, ViolationKind.clutter, local(date(2026, 6, 9), 21.2), ALMALY)
    violation(db, city, ViolationKind.no_parking, local(date(2026, 6, 9), 9.9), MEDEU)
    helpers.handover(db, jet, local(date(2026, 6, 3), 15))
    helpers.trips(db, jet, date(2026, 5, 31), 5)
    helpers.trips(db, jet, date(2026, 6, 7), 10)
    helpers.trips(db, whoosh, date(2026, 6, 8), 20)


def test_weekly_trends_count_by_local_weeks(db: Session, city: City, viewer, seeded):
    found = dashboards_city.trends(db, scope=viewer, city=city, step=Step.week, count=3, now=NOW)
    assert [b.label for b in found.buckets] == ["2026-05-25", "2026-06-01", "2026-06-08"]
    assert found.series[Series.put_in_order] == (2, 3, 4)
    assert found.series[Series.violations] == (0, 1, 3)
    assert found.series[Series.complaints] == (0, 0, 0)
    assert found.series[Series.handovers] == (0, 1, 0)
    assert found.series[Series.trips] == (5, 10, 20)


def test_monthly_trends_agree_with_the_domains_figures(db: Session, city: City, viewer, seeded):
    complaint_at(db, city, local(date(2026, 5, 31), 23.9), ALMALY)
    complaint_at(db, city, local(date(2026, 6, 1), 0.1), ALMALY)
    found = dashboards_city.trends(db, scope=viewer, city=city, step=Step.month, count=2, now=NOW)
    assert [b.label for b in found.buckets] == ["2026-05", "2026-06"]
    assert found.series[Series.put_in_order] == (11, 7)
    assert found.series[Series.complaints] == (1, 1)
    assert found.series[Series.trips] == (5, 30)
    # The same months from ops' own counts and complaints' own figures.
    rows = ops_counts.counts(
        db,
        scope=viewer,
        since=date(2026, 5, 1),
        until=date(2026, 7, 1),
        period="month",
        group="company",
        timezone=ALMATY,
    )
    by_month = {m: sum(r.count for r in rows if r.period == m) for m in ("2026-05", "2026-06")}
    assert tuple(by_month.values()) == found.series[Series.put_in_order]
    for bucket, expected in zip(found.buckets, found.series[Series.complaints], strict=True):
        figures = complaint_figures.figures(
            db, scope=viewer, since=bucket.start, until=bucket.end, now=NOW
        )
        assert figures.total.total == expected


def test_trend_buckets_are_bounded(db: Session, city: City, viewer):
    with pytest.raises(InvalidInput):
        dashboards_city.trends(db, scope=viewer, city=city, step=Step.week, count=0, now=NOW)
    with pytest.raises(InvalidInput):
        dashboards_city.trends(db, scope=viewer, city=city, step=Step.week, count=105, now=NOW)


def test_the_hex_map_counts_violations_by_local_hour(db: Session, city: City, viewer, seeded):
    period = dashboards_maps.map_period(
        first="2026-06-01", last="2026-06-10", now=NOW, timezone=ALMATY
    )
    clutter = dashboards_maps.hex_map(db, scope=viewer, city=city, period=period)
    assert clutter.total == 3
    assert len(clutter.bins) == 1 and clutter.bins[0].count == 3
    assert clutter.by_hour[9] == 2 and clutter.by_hour[21] == 1 and sum(clutter.by_hour) == 3
    nine = dashboards_maps.hex_map(db, scope=viewer, city=city, period=period, hour=9)
    assert nine.total == 2
    everything = dashboards_maps.hex_map(
        db, scope=viewer, city=city, period=period, layer=MapLayer.all, hour=9
    )
    assert everything.total == 3 and len(everything.bins) == 2
    # 2 June is outside a period of 3..10 June.
    later = dashboards_maps.map_period(first="2026-06-03", last=None, now=NOW, timezone=ALMATY)
    assert dashboards_maps.hex_map(db, scope=viewer, city=city, period=later).total == 2


def test_complaints_by_district(db: Session, city: City, viewer):
    complaint_at(db, city, local(date(2026, 6, 9), 10), ALMALY)
    complaint_at(db, city, local(date(2026, 6, 9), 11), ALMALY, status=ComplaintStatus.resolved)
    complaint_at(db, city, local(date(2026, 6, 2), 11), MEDEU)  # due 3 June: overdue now
    complaint_at(db, city, local(date(2026, 6, 2), 12), FAR)
    complaint_at(db, city, local(date(2026, 4, 2), 12), MEDEU)  # before the period
    period = dashboards_maps.map_period(first=None, last=None, now=NOW, timezone=ALMATY)
    assert (period.first, period.last) == (date(2026, 5, 14), date(2026, 6, 10))
    found = dashboards_maps.district_complaints(
        db, scope=viewer, city=city, period=period, now=NOW, locale="ru"
    )
    rows = {r.key: (r.total, r.open, r.overdue) for r in found.rows}
    assert rows["almaly"] == (2, 1, 0)
    assert rows["medeu"] == (1, 1, 1)
    assert rows[OUTSIDE] == (1, 1, 1)
    assert rows["turksib"] == (0, 0, 0)
    assert len(found.rows) == 9 and found.rows[-1].key == OUTSIDE
    assert found.total == 4
    assert next(r for r in found.rows if r.key == "almaly").name == "Алмалинский район"


@pytest.mark.parametrize("role", [Role.company_rep, Role.scout])
def test_the_city_view_is_not_for_companies_or_scouts(db: Session, city: City, role: Role):
    slug = "jet" if role is Role.company_rep else None
    scope = scope_of(builders.make_user(db, city, username="someone", role=role, company_slug=slug))
    with pytest.raises(Forbidden):
        dashboards_city.trends(db, scope=scope, city=city, step=Step.week, count=2, now=NOW)
    period = dashboards_maps.map_period(first=None, last=None, now=NOW, timezone=ALMATY)
    with pytest.raises(Forbidden):
        dashboards_maps.hex_map(db, scope=scope, city=city, period=period)
    with pytest.raises(Forbidden):
        dashboards_maps.district_complaints(
            db, scope=scope, city=city, period=period, now=NOW, locale="en"
        )


def test_the_city_view_over_http(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="viewer", role=Role.city_viewer)
    today = datetime.now(UTC)
    violation(db, city, ViolationKind.clutter, today - timedelta(hours=1), ALMALY)
    builders.login(app_client, "viewer")
    trends = app_client.get("/api/v1/dashboards/city/trends?step=month&count=3")
    assert trends.status_code == 200, trends.text
    body = TrendsRead.model_validate(trends.json())
    assert len(body.buckets) == 3 and body.series["violations"][-1] == 1
    hexes = app_client.get("/api/v1/dashboards/city/violations-hex?size=500")
    assert hexes.status_code == 200, hexes.text
    found = HexMapRead.model_validate(hexes.json())
    assert found.total == 1 and found.features[0].geometry["type"] == "Polygon"
    ring = found.features[0].geometry["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]
    bad = app_client.get("/api/v1/dashboards/city/violations-hex?size=333")
    assert bad.status_code == 422 and "333" in bad.json()["message"]
    districts = app_client.get("/api/v1/dashboards/city/complaints-by-district?locale=kk")
    assert districts.status_code == 200
    assert DistrictComplaintsRead.model_validate(districts.json()).total == 0
    page = app_client.get("/dashboards/city?step=week&hour=3")
    assert page.status_code == 200
    for testid in ("trend-put_in_order", "hex-map", "hour-23", "district-almaly"):
        assert f'data-testid="{testid}"' in page.text
    assert app_client.get("/dashboards", follow_redirects=False).headers["location"] == (
        "/dashboards/city"
    )
    assert app_client.get("/dashboards/live").status_code == 200  # read-only (decision 0083)
