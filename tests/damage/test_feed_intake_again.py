"""The feed reports a vehicle once per episode of standing disabled: again after its case closed.

A vehicle the feed showed disabled too long, collected and repaired by its company, and weeks
later left disabled on the street again, is a new case; a repeated run over one episode is not.
The feed's history is written here as ``fleet.live`` writes it: the vehicle's row changes and a
``VehicleChange`` records each status change, departure and return.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.damage import agreements, intake, service
from tartip.damage.enums import DamageKind, DamageSource, HandoverStatus
from tartip.damage.followup import confirm_by_feed
from tartip.damage.models import CaseReport, DamageCase, Handover
from tartip.damage.schemas import PolicyUpdate
from tartip.feeds.models import Feed
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle
from tests import builders
from tests.damage.helpers import CENTRE, admin_scope

LIMIT_H = 12


def _setup(db: Session, city: City, *, disabled_since: datetime) -> tuple[Feed, Vehicle]:
    """Jet's feed with one vehicle standing disabled since ``disabled_since``."""
    agreements.update_policy(
        db,
        scope=admin_scope(city),
        data=PolicyUpdate(disabled_after_h=LIMIT_H, escalation_emails=""),
    )
    feed = builders.make_feed(db, builders.company(db, city, "jet"))
    vehicle = builders.make_vehicle(
        db, feed, vehicle_id="JET-77", lon=CENTRE[0], lat=CENTRE[1],
        status=VehicleStatus.disabled, seen_at=disabled_since,
    )  # fmt: skip
    return feed, vehicle


def _turn(db: Session, vehicle: Vehicle, status: VehicleStatus, at: datetime) -> None:
    """The feed shows ``vehicle`` with another status from ``at`` on."""
    builders.make_vehicle_change(
        db, vehicle, kind=ChangeKind.status_changed, at=at, status=status,
        previous_status=VehicleStatus(vehicle.status),
    )  # fmt: skip
    vehicle.status, vehicle.last_seen_at = status, at
    db.flush()


def _cases(db: Session, city: City) -> list[DamageCase]:
    stmt = select(DamageCase).where(DamageCase.city_id == city.id).order_by(DamageCase.id)
    return list(db.scalars(stmt))


def _feed_reports(db: Session, case: DamageCase) -> list[CaseReport]:
    stmt = select(CaseReport).where(
        CaseReport.case_id == case.id, CaseReport.source == DamageSource.feed
    )
    return list(db.scalars(stmt.order_by(CaseReport.id)))


def _handover(db: Session, case: DamageCase) -> Handover:
    found = db.scalars(select(Handover).where(Handover.case_id == case.id)).one()
    return found


def _collect_and_resolve(db: Session, case: DamageCase, at: datetime) -> None:
    """The company collects the vehicle and reports it repaired: the case closes."""
    handover = _handover(db, case)
    service.step(db, handover=handover, target=HandoverStatus.collected, by="jet", at=at)
    service.step(
        db, handover=handover, target=HandoverStatus.resolved, by="jet", at=at, note="repaired"
    )
    db.flush()
    assert case.closed_at is not None and case.open_key is None


def test_a_vehicle_disabled_too_long_again_after_its_case_closed_is_a_new_case(
    db: Session, city: City
):
    start = utcnow() - timedelta(days=30)
    _feed, vehicle = _setup(db, city, disabled_since=start)
    first_run = start + timedelta(hours=LIMIT_H + 1)
    assert intake.from_feed(db, city_id=city.id, now=first_run) == 1
    # The job runs every few minutes over the same episode: nothing more.
    assert intake.from_feed(db, city_id=city.id, now=first_run + timedelta(minutes=5)) == 0
    assert intake.from_feed(db, city_id=city.id, now=first_run + timedelta(days=1)) == 0
    (first,) = _cases(db, city)
    assert first.report_count == 1

    # Collected, repaired and back on the street available; weeks later disabled again.
    _collect_and_resolve(db, first, first_run + timedelta(days=2))
    _turn(db, vehicle, VehicleStatus.available, start + timedelta(days=4))
    again = start + timedelta(days=25)
    _turn(db, vehicle, VehicleStatus.disabled, again)
    assert intake.from_feed(db, city_id=city.id, now=again + timedelta(hours=LIMIT_H - 1)) == 0

    second_run = again + timedelta(hours=LIMIT_H + 1)
    assert intake.from_feed(db, city_id=city.id, now=second_run) == 1
    assert intake.from_feed(db, city_id=city.id, now=second_run + timedelta(minutes=5)) == 0
    old, new = _cases(db, city)
    assert old.id == first.id and old.closed_at is not None and old.report_count == 1
    assert new.closed_at is None and new.open_key == new.key == old.key
    assert (new.vehicle_code, new.kinds, new.report_count) == ("JET-77", ["disabled_long"], 1)
    (report,) = _feed_reports(db, new)
    assert report.source_key == intake.episode_key(vehicle, again)
    assert report.source_key != _feed_reports(db, old)[0].source_key
    handover = _handover(db, new)
    assert handover.status == HandoverStatus.handed_over and handover.company_id == old.company_id


def test_while_the_case_is_open_a_new_episode_joins_it(db: Session, city: City):
    start = utcnow() - timedelta(days=10)
    _feed, vehicle = _setup(db, city, disabled_since=start)
    assert intake.from_feed(db, city_id=city.id, now=start + timedelta(hours=LIMIT_H + 1)) == 1
    # The company flips it available for a day without collecting it, then disabled again.
    _turn(db, vehicle, VehicleStatus.available, start + timedelta(days=2))
    again = start + timedelta(days=3)
    _turn(db, vehicle, VehicleStatus.disabled, again)
    run = again + timedelta(hours=LIMIT_H + 1)
    assert intake.from_feed(db, city_id=city.id, now=run) == 1
    assert intake.from_feed(db, city_id=city.id, now=run + timedelta(hours=1)) == 0
    (case,) = _cases(db, city)  # one open case per vehicle: the new report merged into it
    assert case.closed_at is None and case.report_count == 2
    assert len(_feed_reports(db, case)) == 2


def test_a_closed_case_is_not_reopened_while_the_same_episode_lasts(db: Session, city: City):
    start = utcnow() - timedelta(days=5)
    _setup(db, city, disabled_since=start)
    run = start + timedelta(hours=LIMIT_H + 1)
    assert intake.from_feed(db, city_id=city.id, now=run) == 1
    (case,) = _cases(db, city)
    # The operator withdrew the handover (a wrong report); the feed shows nothing new.
    service.cancel(
        db, scope=admin_scope(city), handover_id=_handover(db, case).id, note="wrong", now=run
    )
    assert case.closed_at is not None
    assert intake.from_feed(db, city_id=city.id, now=run + timedelta(days=2)) == 0
    assert len(_cases(db, city)) == 1


def test_a_vehicle_back_in_its_feed_still_disabled_after_a_feed_collection_is_a_new_case(
    db: Session, city: City
):
    start = utcnow() - timedelta(days=6)
    _feed, vehicle = _setup(db, city, disabled_since=start)
    run = start + timedelta(hours=LIMIT_H + 1)
    assert intake.from_feed(db, city_id=city.id, now=run) == 1
    # It leaves the feed while disabled: taken as collected, the case closes.
    left = run + timedelta(hours=1)
    vehicle.in_feed, vehicle.last_seen_at = False, left
    builders.make_vehicle_change(db, vehicle, kind=ChangeKind.left_feed, at=left)
    assert confirm_by_feed(db, city_id=city.id, now=left + timedelta(minutes=1)) == 1
    # Back on the street two days later, still disabled: a new episode from its return.
    back = left + timedelta(days=2)
    vehicle.in_feed, vehicle.last_seen_at = True, back
    builders.make_vehicle_change(db, vehicle, kind=ChangeKind.returned, at=back)
    assert intake.from_feed(db, city_id=city.id, now=back + timedelta(hours=1)) == 0
    assert intake.from_feed(db, city_id=city.id, now=back + timedelta(hours=LIMIT_H + 1)) == 1
    old, new = _cases(db, city)
    assert old.closed_at is not None and new.closed_at is None
    assert _feed_reports(db, new)[0].source_key == intake.episode_key(vehicle, back)


def test_reports_keyed_before_episodes_still_count_for_their_episode(db: Session, city: City):
    start = utcnow() - timedelta(days=40)
    feed, vehicle = _setup(db, city, disabled_since=start)
    reported = start + timedelta(hours=LIMIT_H + 1)
    # A report taken in under the old key, one per vehicle for ever.
    legacy = intake.IncomingReport(
        source=DamageSource.feed, source_key=f"feed:{feed.id}:{vehicle.vehicle_id}",
        company_id=vehicle.company_id, code=vehicle.vehicle_id,
        kinds=[DamageKind.disabled_long], reported_at=reported,
        feed_vehicle_id=vehicle.vehicle_id, reported_by="Tartip (feed)",
    )  # fmt: skip
    assert intake.add_report(db, city_id=city.id, report=legacy, now=reported).created
    # Its episode goes on: the old key stands for it, no second report joins the open case.
    assert intake.from_feed(db, city_id=city.id, now=reported + timedelta(days=3)) == 0
    (case,) = _cases(db, city)
    assert case.report_count == 1
    # Collected, repaired, and disabled again later: the old key does not stand in the way.
    _collect_and_resolve(db, case, reported + timedelta(days=4))
    _turn(db, vehicle, VehicleStatus.available, reported + timedelta(days=6))
    again = reported + timedelta(days=20)
    _turn(db, vehicle, VehicleStatus.disabled, again)
    assert intake.from_feed(db, city_id=city.id, now=again + timedelta(hours=LIMIT_H + 1)) == 1
    assert intake.from_feed(db, city_id=city.id, now=again + timedelta(hours=LIMIT_H + 2)) == 0
    assert [c.closed_at is None for c in _cases(db, city)] == [False, True]


def test_a_vehicle_seen_again_under_an_id_whose_old_history_remains_starts_a_new_episode(
    db: Session, city: City
):
    start = utcnow() - timedelta(days=3)
    _feed, vehicle = _setup(db, city, disabled_since=start)
    # The same id, months ago: disabled then, reported then; its row was purged since, its
    # changes were not.
    long_ago = start - timedelta(days=90)
    builders.make_vehicle_change(
        db, vehicle, kind=ChangeKind.status_changed, at=long_ago,
        status=VehicleStatus.disabled, previous_status=VehicleStatus.available,
    )  # fmt: skip
    old = intake.IncomingReport(
        source=DamageSource.feed, source_key=intake.episode_key(vehicle, long_ago),
        company_id=vehicle.company_id, code=vehicle.vehicle_id,
        kinds=[DamageKind.disabled_long], reported_at=long_ago + timedelta(days=1),
        feed_vehicle_id=vehicle.vehicle_id,
    )  # fmt: skip
    first = intake.add_report(db, city_id=city.id, report=old, now=old.reported_at).case
    assert first is not None
    _collect_and_resolve(db, first, long_ago + timedelta(days=2))
    assert intake.from_feed(db, city_id=city.id, now=start + timedelta(hours=LIMIT_H + 1)) == 1
    assert len(_cases(db, city)) == 2
