"""Trip rollups and the figures read from them, against hand-counted trips (both databases)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import districts
from tartip.cities.models import City, Company
from tartip.core.errors import Forbidden, InvalidInput
from tartip.trips import statistics, statistics_rollup
from tartip.trips.models import Trip
from tartip.trips.statistics_models import TripRollup
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.zones.helpers import make_zone, square

# Places inside districts (checked by tests/cities/test_districts.py's spot checks).
ALMALY = (76.9200, 43.2450)
MEDEU = (76.9530, 43.2565)
TURKSIB = (76.9420, 43.3400)
OUTSIDE = (77.5000, 43.5000)
DAY = date(2026, 6, 1)  # a Monday; Almaty is UTC+5 all year


@dataclass
class Fleet:
    """The city's three companies."""

    jet: Company
    yandex: Company
    whoosh: Company


@pytest.fixture
def fleet(db: Session, city: City) -> Fleet:
    return Fleet(
        builders.company(db, city, "jet"),
        builders.company(db, city, "yandex-go"),
        builders.company(db, city, "whoosh"),
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in Almaty's time (UTC+5), as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=5)


def add_trip(
    db: Session,
    company: Company,
    *,
    start: datetime,
    origin: tuple[float, float] = ALMALY,
    destination: tuple[float, float] = MEDEU,
    minutes: float = 10,
    metres: int = 1500,
    locate: bool = True,
    received_at: datetime | None = None,
) -> Trip:
    """One trip as the ingest stores it (districts located unless ``locate=False``)."""
    start_district = end_district = None
    if locate:
        loc = districts.locator(db, company.city_id)
        start_district, end_district = loc.locate(
            [origin[0], destination[0]], [origin[1], destination[1]]
        )
    trip = Trip(
        city_id=company.city_id,
        company_id=company.id,
        trip_id=str(uuid.uuid4()),
        device_id=str(uuid.uuid4()),
        source="provider",
        start_time=start,
        end_time=start + timedelta(minutes=minutes),
        duration_s=round(minutes * 60),
        distance_m=metres,
        start_lon=origin[0],
        start_lat=origin[1],
        end_lon=destination[0],
        end_lat=destination[1],
        start_district=start_district,
        end_district=end_district,
        **({"received_at": received_at} if received_at else {}),
    )
    db.add(trip)
    db.flush()
    return trip


def who(city: City, role: Role = Role.supervisor, company: Company | None = None) -> Scope:
    return Scope(
        user_id=None,
        username=f"t-{role.value}",
        role=role,
        city_id=city.id,
        company_id=company.id if company else None,
    )


def query(first: date = DAY, last: date | None = None, *companies: str) -> statistics.TripQuery:
    return statistics.TripQuery(first=first, last=last or first, company_slugs=companies)


def district_id(db: Session, city: City, code: str) -> int:
    return next(d.id for d in districts.list_districts(db, city_id=city.id) if d.code == code)


def test_days_and_hours_are_counted_in_almaty_time_across_midnight(
    db: Session, city: City, fleet: Fleet
):
    add_trip(db, fleet.jet, start=local(DAY, 23, 30))  # 18:30 UTC, still 1 June in Almaty
    add_trip(db, fleet.jet, start=local(DAY + timedelta(days=1), 0, 10))  # 19:10 UTC on 1 June
    add_trip(db, fleet.jet, start=local(DAY, 0, 0))  # local midnight opens the day
    add_trip(db, fleet.jet, start=local(DAY, 0, 0) - timedelta(microseconds=1))  # 31 May
    statistics_rollup.roll_up(db, city=city)

    days = statistics.by_day(
        db, scope=who(city), query=query(DAY - timedelta(days=1), DAY + timedelta(days=1))
    )
    assert [(c.key, c.trips) for c in days] == [
        ("2026-05-31", 1), ("2026-06-01", 2), ("2026-06-02", 1),
    ]  # fmt: skip
    hours = statistics.by_hour(db, scope=who(city), query=query(DAY))
    assert {int(c.key): c.trips for c in hours if c.trips} == {0: 1, 23: 1}
    hours_next = statistics.by_hour(db, scope=who(city), query=query(DAY + timedelta(days=1)))
    assert {int(c.key): c.trips for c in hours_next if c.trips} == {0: 1}


def test_origin_destination_matrix_matches_a_hand_count(db: Session, city: City, fleet: Fleet):
    for _ in range(3):
        add_trip(db, fleet.jet, start=local(DAY, 9), origin=ALMALY, destination=MEDEU)
    add_trip(db, fleet.whoosh, start=local(DAY, 10), origin=MEDEU, destination=ALMALY)
    add_trip(db, fleet.yandex, start=local(DAY, 11), origin=ALMALY, destination=ALMALY)
    add_trip(db, fleet.yandex, start=local(DAY, 12), origin=ALMALY, destination=ALMALY)
    add_trip(db, fleet.jet, start=local(DAY, 13), origin=OUTSIDE, destination=TURKSIB)
    # Stored before the districts were known: the rollup locates it.
    add_trip(db, fleet.jet, start=local(DAY, 14), origin=TURKSIB, destination=MEDEU, locate=False)
    statistics_rollup.roll_up(db, city=city)

    od = statistics.origin_destination(db, scope=who(city), query=query())
    index = {p.code: i for i, p in enumerate(od.places)}
    assert od.places[-1].code == "outside" and len(od.places) == 9

    def cell(a: str, b: str) -> int | None:
        return od.counts[index[a]][index[b]]

    assert cell("almaly", "medeu") == 3
    assert cell("medeu", "almaly") == 1
    assert cell("almaly", "almaly") == 2
    assert cell("outside", "turksib") == 1
    assert cell("turksib", "medeu") == 1
    assert od.total == 8
    assert sum(n or 0 for row in od.counts for n in row) == 8
    starts = {p.code: p.starts for p in od.places}
    assert starts["almaly"] == 5 and starts["medeu"] == 1 and starts["bostandyk"] == 0

    per_district = {
        p.code: (p.starts, p.ends)
        for p in statistics.by_district(db, scope=who(city), query=query())
    }
    assert per_district["medeu"] == (1, 4)
    assert per_district["almaly"] == (5, 3)
    per_company = {
        c.key: c.trips for c in statistics.by_company(db, scope=who(city), query=query())
    }
    assert per_company == {"jet": 5, "whoosh": 1, "yandex-go": 2}
    # One company only.
    only_jet = statistics.origin_destination(db, scope=who(city), query=query(DAY, DAY, "jet"))
    assert only_jet.total == 5


def test_rollup_is_idempotent_and_rebuilds_only_days_with_new_trips(
    db: Session, city: City, fleet: Fleet
):
    for hour in range(8, 12):
        add_trip(db, fleet.jet, start=local(DAY, hour))
    add_trip(db, fleet.jet, start=local(DAY + timedelta(days=3), 9))
    later = datetime.now(UTC) + timedelta(hours=1)  # past the settle time: watermark = newest
    first = statistics_rollup.roll_up(db, city=city, now=later)
    assert first.days == [DAY, DAY + timedelta(days=3)] and first.trips == 5
    rows_before = db.scalar(select(func.count()).select_from(TripRollup))

    again = statistics_rollup.roll_up(db, city=city, now=later)
    assert again.days == [] and again.trips == 0
    statistics_rollup.rebuild(db, city=city, days=[DAY, DAY])
    assert db.scalar(select(func.count()).select_from(TripRollup)) == rows_before

    # A late trip for the first day: only that day is rebuilt, and counted once.
    add_trip(db, fleet.whoosh, start=local(DAY, 20), received_at=later - timedelta(minutes=1))
    add_trip(db, fleet.whoosh, start=local(DAY, 21), received_at=later + timedelta(seconds=1))
    third = statistics_rollup.roll_up(db, city=city, now=later + timedelta(hours=1))
    assert third.days == [DAY] and third.trips == 6
    total = statistics.summary(db, scope=who(city), query=query(DAY, DAY + timedelta(days=3)))
    assert total.trips == 7
    # The rollup refuses a second copy of a grain (the unique constraint), never double-counts.
    row = db.scalars(select(TripRollup)).first()
    assert row is not None
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            TripRollup(
                city_id=row.city_id,
                company_id=row.company_id,
                local_date=row.local_date,
                hour=row.hour,
                start_district=row.start_district,
                end_district=row.end_district,
                trips=1,
                duration_s=1,
                distance_m=1,
            )  # fmt: skip
        )
        db.flush()


def test_a_backlog_is_worked_off_a_few_days_per_run_newest_first(
    db: Session, city: City, fleet: Fleet
):
    days = [DAY + timedelta(days=i) for i in range(statistics_rollup.DAYS_PER_RUN + 2)]
    for day in days:
        add_trip(db, fleet.jet, start=local(day, 12))
    later = datetime.now(UTC) + timedelta(hours=1)
    first = statistics_rollup.roll_up(db, city=city, now=later)
    assert first.days == days[2:]
    second = statistics_rollup.roll_up(db, city=city, now=later)
    assert second.days == days[:2]
    assert statistics_rollup.roll_up(db, city=city, now=later).days == []
    found = statistics.by_day(db, scope=who(city), query=query(days[0], days[-1]))
    assert [c.trips for c in found] == [1] * len(days)


def test_a_run_within_the_settle_time_sees_a_late_commit(db: Session, city: City, fleet: Fleet):
    now = datetime.now(UTC)
    add_trip(db, fleet.jet, start=local(DAY, 9), received_at=now - timedelta(minutes=2))
    assert statistics_rollup.roll_up(db, city=city, now=now).days == [DAY]
    # Stamped before the newest trip seen but committed after the run: still rolled up next time.
    add_trip(db, fleet.jet, start=local(DAY, 10), received_at=now - timedelta(minutes=3))
    statistics_rollup.roll_up(db, city=city, now=now + timedelta(minutes=1))
    assert statistics.summary(db, scope=who(city), query=query()).trips == 2


def test_durations_and_distances(db: Session, city: City, fleet: Fleet):
    # 10 trips of 1..10 minutes and 100..1,000 m: mean 5.5 min, median 5 min, p90 9 min.
    for i in range(1, 11):
        add_trip(db, fleet.jet, start=local(DAY, 9), minutes=i, metres=i * 100)
    statistics_rollup.roll_up(db, city=city)
    found = statistics.summary(db, scope=who(city), query=query())
    assert found.trips == 10
    assert found.duration_s.mean == pytest.approx(330)
    assert found.duration_s.median == pytest.approx(300, abs=statistics_rollup.DURATION_BIN_S)
    assert found.duration_s.p90 == pytest.approx(540, abs=statistics_rollup.DURATION_BIN_S)
    assert found.distance_m.mean == pytest.approx(550)
    assert found.distance_m.median == pytest.approx(500, abs=statistics_rollup.DISTANCE_BIN_M)


def test_small_counts_are_suppressed_outside_the_operator(db: Session, city: City, fleet: Fleet):
    for _ in range(12):
        add_trip(db, fleet.jet, start=local(DAY, 9), origin=ALMALY, destination=MEDEU)
    for _ in range(3):
        add_trip(db, fleet.whoosh, start=local(DAY, 17), origin=MEDEU, destination=ALMALY)
    statistics_rollup.roll_up(db, city=city)

    staff = statistics.origin_destination(db, scope=who(city), query=query())
    viewer_scope = who(city, Role.city_viewer)
    viewer = statistics.origin_destination(db, scope=viewer_scope, query=query())
    i = {p.code: n for n, p in enumerate(viewer.places)}
    assert staff.counts[i["medeu"]][i["almaly"]] == 3
    assert viewer.counts[i["medeu"]][i["almaly"]] is None
    assert viewer.counts[i["almaly"]][i["medeu"]] == 12
    assert viewer.counts[i["alatau"]][i["alatau"]] is None  # zero is a small count too
    hours = {int(c.key): c.trips for c in statistics.by_hour(db, scope=viewer_scope, query=query())}
    assert hours[9] == 12 and hours[17] is None
    companies = {
        c.key: c.trips for c in statistics.by_company(db, scope=viewer_scope, query=query())
    }
    assert companies == {"jet": 12, "whoosh": None, "yandex-go": None}
    summary = statistics.summary(db, scope=viewer_scope, query=query())
    assert summary.trips == 15 and summary.suppressed_below == 10
    assert statistics.summary(db, scope=who(city), query=query()).suppressed_below is None
    whoosh_only = statistics.summary(db, scope=viewer_scope, query=query(DAY, DAY, "whoosh"))
    assert whoosh_only.trips is None and whoosh_only.duration_s.median is None
    cells = statistics.heat_map(db, scope=viewer_scope, query=query())
    assert all((c.starts or 0) >= 10 or c.starts is None for c in cells)
    assert sum(c.starts or 0 for c in cells) == 12


def test_a_company_sees_only_its_own_trips(db: Session, city: City, fleet: Fleet):
    for _ in range(11):
        add_trip(db, fleet.jet, start=local(DAY, 9))
    for _ in range(20):
        add_trip(db, fleet.whoosh, start=local(DAY, 9))
    statistics_rollup.roll_up(db, city=city)
    rep = who(city, Role.company_rep, fleet.jet)
    assert statistics.summary(db, scope=rep, query=query()).trips == 11
    assert [(c.key, c.trips) for c in statistics.by_company(db, scope=rep, query=query())] == [
        ("jet", 11)
    ]
    # Asking for another company gives nothing of it.
    assert statistics.summary(db, scope=rep, query=query(DAY, DAY, "whoosh")).trips is None
    assert (
        statistics.origin_destination(db, scope=rep, query=query(DAY, DAY, "whoosh")).total is None
    )
    assert sum(c.starts or 0 for c in statistics.heat_map(db, scope=rep, query=query())) == 11


def test_field_staff_may_not_read_trip_figures_and_bad_periods_are_refused(db: Session, city: City):
    with pytest.raises(Forbidden):
        statistics.summary(db, scope=who(city, Role.scout), query=query())
    with pytest.raises(InvalidInput, match="ends before it starts"):
        statistics.summary(db, scope=who(city), query=query(DAY, DAY - timedelta(days=1)))
    with pytest.raises(InvalidInput, match="longer than"):
        statistics.summary(db, scope=who(city), query=query(DAY, DAY + timedelta(days=500)))
    with pytest.raises(InvalidInput, match="unknown company"):
        statistics.summary(db, scope=who(city), query=query(DAY, DAY, "bolt"))


def test_trips_are_counted_in_the_zones_in_force_when_they_started(
    db: Session, city: City, fleet: Fleet
):
    zone = make_zone(db, city, geometry=square(*ALMALY, d=0.002), name="Abay Ave")
    zones_service.publish(db, scope=who(city), zone_id=zone.id, at=local(DAY, 12))
    add_trip(db, fleet.jet, start=local(DAY, 11))  # before the zone was in force
    add_trip(db, fleet.jet, start=local(DAY, 13))
    add_trip(db, fleet.whoosh, start=local(DAY, 14))
    add_trip(db, fleet.whoosh, start=local(DAY, 15), origin=MEDEU, destination=ALMALY)
    statistics_rollup.roll_up(db, city=city)
    [place] = statistics.by_zone(db, scope=who(city), query=query())
    assert (place.id, place.label, place.starts, place.ends) == (zone.id, "Abay Ave", 2, 1)


def test_heat_map_cells_hold_starts_and_ends(db: Session, city: City, fleet: Fleet):
    add_trip(db, fleet.jet, start=local(DAY, 9), origin=ALMALY, destination=MEDEU)
    add_trip(db, fleet.jet, start=local(DAY, 10), origin=ALMALY, destination=ALMALY)
    statistics_rollup.roll_up(db, city=city)
    cells = statistics.heat_map(db, scope=who(city), query=query())
    by_place = {
        name: next(c for c in cells if c.west <= lon < c.east and c.south <= lat < c.north)
        for name, (lon, lat) in {"almaly": ALMALY, "medeu": MEDEU}.items()
    }
    assert (by_place["almaly"].starts, by_place["almaly"].ends) == (2, 1)
    assert (by_place["medeu"].starts, by_place["medeu"].ends) == (0, 1)
    assert len(cells) == 2


def test_hours_on_a_day_with_a_clock_change_follow_the_local_clock(
    db: Session, city: City, fleet: Fleet
):
    # Berlin moves its clocks forward at 01:00 UTC on 29 March 2026: the local day has 23 hours.
    day = date(2026, 3, 29)
    start, end = statistics_rollup.day_bounds(day, "Europe/Berlin")
    starts = statistics_rollup.hour_starts(start, end, "Europe/Berlin")
    assert end - start == timedelta(hours=23) and len(starts) == 23
    assert [h for _, h in starts[:4]] == [0, 1, 3, 4]
    assert starts[2][0] == datetime(2026, 3, 29, 1, tzinfo=UTC)
    city.timezone = "Europe/Berlin"  # rolled back with the test
    add_trip(db, fleet.jet, start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET
    add_trip(db, fleet.jet, start=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST
    add_trip(db, fleet.jet, start=datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # 23:59 CEST
    statistics_rollup.roll_up(db, city=city)
    hours = statistics.by_hour(db, scope=who(city), query=query(day))
    assert {int(c.key): c.trips for c in hours if c.trips} == {1: 1, 3: 1, 23: 1}
    # Almaty: one offset all day, 24 hours from 19:00 UTC the day before.
    a_start, a_end = statistics_rollup.day_bounds(DAY, "Asia/Almaty")
    almaty = statistics_rollup.hour_starts(a_start, a_end, "Asia/Almaty")
    assert [h for _, h in almaty] == list(range(24))
    assert almaty[0][0] == datetime(2026, 5, 31, 19, tzinfo=UTC)


def test_a_company_does_not_see_the_operators_duty_zones(db: Session, city: City, fleet: Fleet):
    duty = make_zone(db, city, ZoneKind.duty, geometry=square(*ALMALY, d=0.002), target_load=20)
    parking = make_zone(db, city, ZoneKind.parking, geometry=square(*MEDEU, d=0.002))
    for zone in (duty, parking):
        zones_service.publish(db, scope=who(city), zone_id=zone.id, at=local(DAY, 0))
    for _ in range(10):
        add_trip(db, fleet.jet, start=local(DAY, 9), origin=ALMALY, destination=MEDEU)
    statistics_rollup.roll_up(db, city=city)
    staff = {
        p.kind: (p.starts, p.ends) for p in statistics.by_zone(db, scope=who(city), query=query())
    }
    assert staff == {"duty": (10, 0), "parking": (0, 10)}
    rep = who(city, Role.company_rep, fleet.jet)
    shown = {p.kind: (p.starts, p.ends) for p in statistics.by_zone(db, scope=rep, query=query())}
    assert shown == {"parking": (None, 10)}
