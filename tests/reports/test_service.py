"""The scorecard from the database, on both backends: each measure against hand-counted rows.

The month is June 2026 in Almaty (UTC+5): it starts at 19:00 UTC on 31 May. Rows a minute
before that belong to May and must not count; rows at 19:00 must.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.complaints.enums import ComplaintStatus, MatchState
from tartip.compliance.enums import ViolationKind
from tartip.core.errors import Forbidden, InvalidInput, NotFound
from tartip.feeds.enums import PullOutcome
from tartip.reports import reading_mds, service
from tartip.reports.scorecard import MeasureKey, Missing
from tests import builders
from tests.reports import helpers as h
from tests.reports.helpers import AFTER, MONTH, START, at


def city_scope(city: City, role: Role = Role.supervisor) -> Scope:
    return Scope(user_id=None, username="test", role=role, city_id=city.id)


def rep_scope(company: Company) -> Scope:
    return Scope(
        user_id=None,
        username="rep",
        role=Role.company_rep,
        city_id=company.city_id,
        company_id=company.id,
    )


def card_of(db: Session, city: City, slug: str, **kw: object) -> service.CompanyCard:
    card = service.scorecard(db, scope=city_scope(city), month=MONTH, now=AFTER, **kw)  # type: ignore[arg-type]
    return next(c for c in card.companies if c.company.slug == slug)


def value(card: service.CompanyCard, measure: MeasureKey, key: str) -> float | None:
    return card.measure(measure).figure(key).value


@pytest.fixture
def jet(db: Session, city: City) -> Company:
    return builders.company(db, city, "jet")


@pytest.fixture
def whoosh(db: Session, city: City) -> Company:
    return builders.company(db, city, "whoosh")


def fleet_history(db: Session, jet: Company) -> None:
    """Jet's June as its feed's snapshots counted it: 2 vehicles, 1 from day 11, 2 from day 21."""
    feed = builders.make_feed(db, jet)
    h.pull(db, feed, at(minutes=-1), records=2)  # 23:59 on 31 May, local: before June
    h.pull(db, feed, at(hours=1), records=3, rejected=1)  # slot 12: 2 usable vehicles
    h.pull(db, feed, at(hours=2), outcome=PullOutcome.not_modified)  # the same data
    h.pull(db, feed, at(days=3), outcome=PullOutcome.error)  # down: the last count stands
    h.pull(db, feed, at(days=10, minutes=1), records=1)  # slot 2880
    h.pull(db, feed, at(days=20, minutes=2), records=2)  # slot 5760
    h.pull(db, feed, at(days=20, minutes=3), records=3, file="gbfs")  # discovery: not vehicles
    h.pull(db, feed, at(days=32), records=7)  # July


# Slots 0–2879 hold 2 vehicles, 2880–5759 one, 5760–8639 two: 14,400 vehicle-slots of 8,640.
MEAN = (2880 * 2 + 2880 * 1 + 2880 * 2) / 8640


def test_vehicles_on_the_street_against_the_cap(db: Session, city: City, jet: Company):
    fleet_history(db, jet)
    h.agreement(db, jet, fleet_cap=1)
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.deployed, "average") == round(MEAN, 1) == 1.7
    assert value(card, MeasureKey.deployed, "peak") == 2
    assert value(card, MeasureKey.deployed, "cap") == 1
    assert value(card, MeasureKey.deployed, "average_of_cap") == round(MEAN, 4)
    # 1–10 June and 21–30 June held 2 vehicles, more than the cap of 1.
    assert value(card, MeasureKey.deployed, "days_over_cap") == 20
    assert value(card, MeasureKey.deployed, "slots") == 8640


def test_the_cap_falls_back_to_the_citys_threshold(db: Session, city: City, jet: Company):
    fleet_history(db, jet)
    from tartip.compliance.models import ComplianceThreshold

    db.add(ComplianceThreshold(city_id=city.id, level="city", values={"fleet_caps": {"jet": 5}}))
    db.flush()
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.deployed, "cap") == 5
    assert value(card, MeasureKey.deployed, "days_over_cap") == 0
    other = card_of(db, city, "whoosh")
    assert other.measure(MeasureKey.deployed).figure("cap").missing is Missing.no_cap


def test_a_company_without_data_shows_no_data_not_zero(db: Session, city: City, jet: Company):
    fleet_history(db, jet)
    card = card_of(db, city, "whoosh")
    for measure in card.measures:
        assert not measure.has_data, measure.key
        for figure in measure.figures:
            assert figure.value is None and figure.missing is not None, (measure.key, figure)
    deployed = card.measure(MeasureKey.deployed).figure("average")
    assert deployed.missing is Missing.no_feed_data
    assert card.measure(MeasureKey.complaints).figure("per_1000_trips").missing is Missing.no_trips


def test_parking_violations_per_100_vehicles(
    db: Session, city: City, jet: Company, whoosh: Company
):
    fleet_history(db, jet)
    h.violation(db, city, jet, ViolationKind.no_parking, START)  # the first instant of June
    h.violation(db, city, jet, ViolationKind.outside_parking, at(days=3))
    h.violation(db, city, jet, ViolationKind.clutter, at(days=29, hours=23))
    h.violation(
        db, city, None, ViolationKind.clutter, at(days=5), by_company={"jet": 2, "whoosh": 4}
    )
    h.violation(db, city, jet, ViolationKind.no_parking, at(seconds=-1))  # May, local
    h.violation(db, city, jet, ViolationKind.fleet_cap, at(days=4))  # not a parking violation
    h.violation(db, city, jet, ViolationKind.disabled_too_long, at(days=4))  # nor this
    h.violation(db, city, jet, ViolationKind.no_parking, at(days=30))  # July
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.parking_violations, "violations") == 4
    assert value(card, MeasureKey.parking_violations, "per_100_vehicles") == round(400 / MEAN, 2)
    rival = card_of(db, city, "whoosh")
    assert value(rival, MeasureKey.parking_violations, "violations") == 1
    # Whoosh's feed never answered: no rate without vehicles.
    assert value(rival, MeasureKey.parking_violations, "per_100_vehicles") is None


def test_disabled_vehicles_left_on_the_street(
    db: Session, city: City, jet: Company, whoosh: Company
):
    fleet_history(db, jet)
    disabled = ViolationKind.disabled_too_long

    def spell(
        opened: datetime,
        cleared: datetime | None = None,
        *,
        key: str | None = None,
        company: Company = jet,
        last_seen: datetime | None = None,
    ) -> None:
        h.violation(db, city, company, disabled, opened, key=key, cleared=cleared,
                    last_seen=last_seen)  # fmt: skip

    spell(at(days=1, hours=12), at(days=2, hours=6), key="d1")  # 18 h in June
    spell(at(days=5), at(days=5, hours=2), key="d1")  # the same vehicle again: 2 h
    spell(at(days=-4), last_seen=at(days=35))  # from May and still open: all 720 h of June
    spell(at(hours=-2), at(hours=-1))  # over before June (31 May, 22:00–23:00 local)
    spell(at(days=-3), at(hours=10))  # from May, cleared 10 h into June: 10 h
    spell(at(days=30, hours=1), at(days=31))  # July
    spell(at(days=2), at(days=3), company=whoosh)  # another company's
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.disabled_left, "vehicles") == 3
    assert value(card, MeasureKey.disabled_left, "vehicle_hours") == 18 + 2 + 720 + 10
    assert value(card, MeasureKey.disabled_left, "threshold_hours") == 12
    # Whoosh's fleet is not known (its feed never answered): no data, though a spell is there.
    rival = card_of(db, city, "whoosh")
    assert rival.measure(MeasureKey.disabled_left).figure("vehicles").missing is (
        Missing.no_feed_data
    )


def test_time_to_collect_handed_over_vehicles(db: Session, city: City, jet: Company):
    h.handover(db, jet, at(days=2), collected=at(days=2, hours=2))  # 2 h, on time
    h.handover(db, jet, at(days=5), collected=at(days=6, hours=6))  # 30 h, late
    h.handover(db, jet, at(days=29, hours=20), collected=at(days=30, hours=12))  # 16 h, in July
    h.handover(db, jet, at(days=10))  # never collected: overdue
    h.handover(db, jet, at(days=29), due_h=24 * 30)  # due in late July: not yet judged
    h.handover(db, jet, at(days=3), cancelled=True)  # withdrawn: left out
    h.handover(db, jet, at(minutes=-30), collected=at(days=9))  # May, local: left out
    card = card_of(db, city, "jet")
    times = [2, 16, 30]
    assert value(card, MeasureKey.damage_collection, "median_hours") == 16
    assert value(card, MeasureKey.damage_collection, "p90_hours") == pytest.approx(
        16 + 0.8 * (30 - 16)
    )
    assert len(times) == value(card, MeasureKey.damage_collection, "collected")
    assert value(card, MeasureKey.damage_collection, "within_due_share") == round(2 / 4, 4)
    assert value(card, MeasureKey.damage_collection, "handed_over") == 5
    assert value(card, MeasureKey.damage_collection, "waiting_not_due") == 1
    rival = card_of(db, city, "whoosh")
    assert rival.measure(MeasureKey.damage_collection).figure("median_hours").missing is (
        Missing.no_handovers
    )


def test_complaints_per_1000_trips(db: Session, city: City, jet: Company, whoosh: Company):
    confirmed, routed = {"state": MatchState.confirmed}, {"routed": True}
    h.complaint(db, at(days=1), {jet: confirmed})
    h.complaint(db, at(days=2), {jet: routed})
    h.complaint(db, at(days=3), {jet: {}})  # a suggestion nobody confirmed: not counted
    h.complaint(db, at(days=4), {jet: {"state": MatchState.rejected, "routed": True}})
    h.complaint(db, at(days=5), {jet: confirmed}, status=ComplaintStatus.rejected)
    h.complaint(db, at(days=6), {jet: confirmed, whoosh: confirmed})
    h.complaint(db, at(minutes=-1), {jet: confirmed})  # 23:59 on 31 May in Almaty
    h.trips(db, jet, date(2026, 6, 1), 2000)
    h.trips(db, jet, date(2026, 6, 30), 3000, hour=23)
    h.trips(db, jet, date(2026, 5, 31), 7000)
    h.trips(db, jet, date(2026, 7, 1), 9000)
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.complaints, "complaints") == 3
    assert value(card, MeasureKey.complaints, "trips") == 5000
    assert value(card, MeasureKey.complaints, "per_1000_trips") == 0.6
    rival = card_of(db, city, "whoosh")
    assert value(rival, MeasureKey.complaints, "complaints") == 1
    assert rival.measure(MeasureKey.complaints).figure("per_1000_trips").missing is Missing.no_trips


def test_feed_availability_and_freshness(db: Session, city: City, jet: Company):
    feed = builders.make_feed(db, jet)
    h.pull(db, feed, at(seconds=-100))  # new data 100 s before June
    h.pull(db, feed, at(seconds=0), outcome=PullOutcome.not_modified)  # slot 0
    h.pull(db, feed, at(seconds=60), outcome=PullOutcome.ok)  # slot 0: new data
    h.pull(db, feed, at(seconds=400), outcome=PullOutcome.error)  # slot 1
    h.pull(db, feed, at(seconds=700), outcome=PullOutcome.ok)  # slot 2: new data
    h.pull(db, feed, at(seconds=710), file="gbfs")  # slot 2, discovery
    h.pull(db, feed, at(days=1, seconds=30), file="gbfs", outcome=PullOutcome.error)  # slot 288
    second = builders.make_feed(db, jet)  # a second feed of the same company counts too
    h.pull(db, second, at(seconds=200), outcome=PullOutcome.not_modified)  # slot 0
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.feed, "pulls") == 7
    assert value(card, MeasureKey.feed, "pulls_failed") == 2
    assert value(card, MeasureKey.feed, "pull_success_share") == round(5 / 7, 4)
    # Slots 0, 1, 2, 288 were pulled; 0 and 2 answered.
    assert value(card, MeasureKey.feed, "time_up_share") == 0.5
    # Samples after slots 0, 1, 2: 300 − 60, 600 − 60, 900 − 700 (seconds since new data).
    assert value(card, MeasureKey.feed, "age_samples") == 3
    assert value(card, MeasureKey.feed, "median_age_s") == 240


def test_mds_data_quality(db: Session, city: City, jet: Company, monkeypatch: pytest.MonkeyPatch):
    dev, other = str(uuid.uuid4()), str(uuid.uuid4())
    t1, t2, t3, t4 = (str(uuid.uuid4()) for _ in range(4))
    # t1 starts at the month's first instant: inside the first sample window (its first 30 s).
    for trip, start in ((t1, at()), (t2, at(days=2)), (t3, at(days=3)), (t4, at(days=4))):
        h.mds_trip(db, jet, trip, dev, start)
    h.mds_trip(db, jet, str(uuid.uuid4()), dev, at(days=31))  # July
    # t1: both events; the end arrives two days late.
    h.mds_event(db, jet, dev, ["trip_start"], at(), trips=[t1], received=at(hours=1))
    h.mds_event(db, jet, dev, ["trip_end"], at(seconds=20), trips=[t1], received=at(days=2))
    # t2: only its start, and that one was an impossible transition.
    h.mds_event(db, jet, dev, ["trip_start"], at(days=2), trips=[t2], flagged=True)
    # t3: nothing of its own; another vehicle's end event names it (wrongly): not its event.
    h.mds_event(db, jet, other, ["trip_end"], at(minutes=-5), trips=[t3])  # and in May
    # t4: began and ended outside the city: entered and left it.
    h.mds_event(db, jet, dev, ["trip_enter_jurisdiction"], at(days=4), trips=[t4])
    h.mds_event(
        db, jet, dev, ["trip_leave_jurisdiction", "battery_low"], at(days=4, minutes=9), trips=[t4]
    )
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.mds_quality, "events") == 5
    assert value(card, MeasureKey.mds_quality, "late") == 1
    assert value(card, MeasureKey.mds_quality, "flagged") == 1
    assert value(card, MeasureKey.mds_quality, "late_share") == 0.2
    assert value(card, MeasureKey.mds_quality, "impossible_share") == 0.2
    assert value(card, MeasureKey.mds_quality, "trips_checked") == 4
    assert value(card, MeasureKey.mds_quality, "missing_share") == 0.5  # t2, t3
    assert value(card, MeasureKey.mds_quality, "sample_share") == 1
    # A big month is read through the sample windows: here only t1 and its two events.
    monkeypatch.setattr(reading_mds, "EXACT_BELOW", 0)
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.mds_quality, "events") == 2
    assert value(card, MeasureKey.mds_quality, "late_share") == 0.5
    assert value(card, MeasureKey.mds_quality, "impossible_share") == 0
    assert value(card, MeasureKey.mds_quality, "trips_checked") == 1
    assert value(card, MeasureKey.mds_quality, "missing_share") == 0
    assert value(card, MeasureKey.mds_quality, "sample_share") == round(1 / 360, 5)


def test_sample_windows_cover_the_month_evenly():
    period = h.june()
    windows = list(reading_mds.windows(period))
    assert len(windows) == 30 * 8
    assert windows[0] == (START, START + timedelta(seconds=30))
    assert all(b - a == timedelta(seconds=30) for a, b in windows)
    assert all(period.start <= a and b <= period.until for a, b in windows)
    # Each window's start moves through its 3 hours: every hour of the day is sampled.
    hours = {(a + timedelta(hours=5)).hour for a, _b in windows}
    assert hours == set(range(24))


def test_vehicles_put_in_order(db: Session, city: City, jet: Company, whoosh: Company):
    fleet_history(db, jet)
    h.put_in_order(db, {jet: 3, whoosh: 7}, at(days=2))
    h.put_in_order(db, {jet: 2}, at(days=29, hours=23, minutes=59))
    h.put_in_order(db, {jet: 50}, at(seconds=-1))  # May
    card = card_of(db, city, "jet")
    assert value(card, MeasureKey.put_in_order, "vehicles_put_in_order") == 5
    assert value(card, MeasureKey.put_in_order, "per_100_vehicles") == round(500 / MEAN, 2)


def test_this_month_is_counted_up_to_now(db: Session, city: City, jet: Company):
    fleet_history(db, jet)
    now = at(days=10, hours=12)  # the count fell to 1 ten days into June; 2 comes later
    card = service.scorecard(db, scope=city_scope(city), month=None, now=now)
    assert card.period.month.label == MONTH and not card.period.complete
    jet_card = next(c for c in card.companies if c.company.slug == "jet")
    slots = 10 * 288 + 144
    assert value(jet_card, MeasureKey.deployed, "slots") == slots
    expected = (2880 * 2 + (slots - 2880) * 1) / slots
    assert value(jet_card, MeasureKey.deployed, "average") == round(expected, 1)


def test_who_sees_which_companies(db: Session, city: City, jet: Company):
    all_three = service.scorecard(
        db, scope=city_scope(city, Role.city_viewer), month=MONTH, now=AFTER
    )
    assert {c.company.slug for c in all_three.companies} == {"jet", "yandex-go", "whoosh"}
    own = service.scorecard(db, scope=rep_scope(jet), month=MONTH, now=AFTER)
    assert [c.company.slug for c in own.companies] == ["jet"]
    one = service.scorecard(db, scope=city_scope(city), month=MONTH, company="whoosh", now=AFTER)
    assert [c.company.slug for c in one.companies] == ["whoosh"]
    with pytest.raises(Forbidden):
        service.scorecard(db, scope=rep_scope(jet), month=MONTH, company="whoosh", now=AFTER)
    with pytest.raises(Forbidden):
        service.scorecard(db, scope=city_scope(city, Role.scout), month=MONTH, now=AFTER)
    with pytest.raises(NotFound):
        service.scorecard(db, scope=city_scope(city), month=MONTH, company="bolt", now=AFTER)
    with pytest.raises(InvalidInput):
        service.scorecard(db, scope=city_scope(city), month="2026-08", now=AFTER)
    assert AFTER - START > timedelta(days=30)
