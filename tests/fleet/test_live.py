"""Applying feed snapshots to the live state, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.feeds.models import Feed
from tartip.fleet import live
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.live import LiveState, VehicleObservation
from tartip.fleet.models import Vehicle, VehicleChange
from tests import builders

REFRESH_S = 300.0
# One metre in degrees of latitude.
M = 1 / 111_195


@pytest.fixture
def feed(db: Session, city: City) -> Feed:
    return builders.make_feed(db, builders.company(db, city, "jet"))


def obs(
    vehicle_id: str, *, lat: float = 43.25, lon: float = 76.93, status=VehicleStatus.available, **kw
):
    return VehicleObservation(vehicle_id, lon, lat, status, **kw)


def apply(db: Session, feed: Feed, state: LiveState, snapshot, at: datetime, **kw):
    return live.apply_snapshot(
        db,
        state=state,
        feed_id=feed.id,
        city_id=feed.city_id,
        company_id=feed.company_id,
        observations=snapshot,
        at=at,
        refresh_s=REFRESH_S,
        **kw,
    )


def rows(db: Session, feed: Feed) -> dict[str, Vehicle]:
    stmt = (
        select(Vehicle).where(Vehicle.feed_id == feed.id).execution_options(populate_existing=True)
    )
    return {v.vehicle_id: v for v in db.scalars(stmt)}


def changes(db: Session, feed: Feed) -> list[tuple[str, str]]:
    stmt = select(VehicleChange).where(VehicleChange.feed_id == feed.id).order_by(VehicleChange.id)
    return [(c.vehicle_id, c.kind) for c in db.scalars(stmt)]


def test_new_ids_appear(db: Session, feed: Feed):
    t0 = utcnow()
    result = apply(
        db,
        feed,
        LiveState(),
        [obs("a", current_fuel_percent=None), obs("b", status=VehicleStatus.reserved)],
        t0,
    )
    assert (result.appeared, result.inserted) == (2, 2)
    stored = rows(db, feed)
    assert stored["b"].status == VehicleStatus.reserved
    assert stored["a"].first_seen_at == stored["a"].last_seen_at == t0
    assert stored["a"].in_feed and not stored["a"].is_stale
    assert changes(db, feed) == [("a", ChangeKind.appeared), ("b", ChangeKind.appeared)]


def test_gps_jitter_is_not_a_move_but_a_real_move_is(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a"), obs("b")], t0)
    jitter = apply(
        db, feed, state, [obs("a", lat=43.25 + 10 * M), obs("b")], t0 + timedelta(seconds=10)
    )
    assert (jitter.moved, jitter.rewritten) == (0, 0)
    moved = apply(
        db, feed, state, [obs("a", lat=43.25 + 40 * M), obs("b")], t0 + timedelta(seconds=20)
    )
    assert moved.moved == 1
    change = db.scalars(select(VehicleChange).where(VehicleChange.kind == ChangeKind.moved)).one()
    assert change.vehicle_id == "a" and change.moved_m == pytest.approx(40, abs=0.5)
    assert rows(db, feed)["a"].lat == pytest.approx(43.25 + 40 * M)


def test_small_steps_that_add_up_are_a_move(db: Session, feed: Feed):
    # Distances are measured from the stored position, so a slow drift is not lost in jitter.
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a")], t0)
    steps = [
        apply(db, feed, state, [obs("a", lat=43.25 + k * 6 * M)], t0 + timedelta(seconds=10 * k))
        for k in (1, 2, 3)
    ]
    assert [s.moved for s in steps] == [0, 0, 1]


def test_a_status_change_is_recorded_with_the_previous_status(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a")], t0)
    result = apply(
        db, feed, state, [obs("a", status=VehicleStatus.disabled)], t0 + timedelta(seconds=10)
    )
    assert result.status_changed == 1
    change = db.scalars(
        select(VehicleChange).where(VehicleChange.kind == ChangeKind.status_changed)
    ).one()
    assert (change.status, change.previous_status) == (
        VehicleStatus.disabled,
        VehicleStatus.available,
    )
    assert rows(db, feed)["a"].status == VehicleStatus.disabled


def test_missing_ids_leave_the_feed_and_may_return(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a"), obs("b")], t0)
    left = apply(db, feed, state, [obs("a")], t0 + timedelta(seconds=10))
    assert left.left_feed == 1
    gone = rows(db, feed)["b"]
    assert not gone.in_feed
    assert gone.last_seen_at == t0  # the last poll that showed it
    back = apply(db, feed, state, [obs("a"), obs("b", lat=43.26)], t0 + timedelta(seconds=20))
    assert (back.returned, back.appeared, back.inserted) == (1, 0, 0)
    returned = rows(db, feed)["b"]
    assert returned.in_feed and returned.lat == 43.26 and returned.first_seen_at == t0
    assert changes(db, feed)[-2:] == [("b", ChangeKind.left_feed), ("b", ChangeKind.returned)]


def test_a_fresh_state_loaded_from_the_database_sees_no_spurious_changes(db: Session, feed: Feed):
    t0 = utcnow()
    snapshot = [
        obs("a"),
        obs("b", lat=43.3, status=VehicleStatus.reserved),
        obs("c", station_id="s1"),
    ]
    apply(db, feed, LiveState(), snapshot, t0)
    apply(
        db,
        feed,
        LiveState(),
        [obs("a"), obs("b", lat=43.3, status=VehicleStatus.reserved)],
        t0 + timedelta(seconds=5),
    )
    restarted = LiveState()  # as after a worker restart
    result = apply(
        db,
        feed,
        restarted,
        [obs("a"), obs("b", lat=43.3, status=VehicleStatus.reserved)],
        t0 + timedelta(seconds=10),
    )
    assert result.changes == 0 and result.rewritten == 0 and result.inserted == 0
    again = apply(
        db,
        feed,
        LiveState(),
        [obs("a"), obs("b", lat=43.3, status=VehicleStatus.reserved), obs("c", station_id="s1")],
        t0 + timedelta(seconds=15),
    )
    assert (again.returned, again.appeared) == (1, 0)


def test_unchanged_rows_are_rewritten_only_when_due(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    fleet = [obs(f"v{i}", current_fuel_percent=0.9) for i in range(50)]
    apply(db, feed, state, fleet, t0)
    drained = [obs(f"v{i}", current_fuel_percent=0.5) for i in range(50)]
    early = apply(db, feed, state, drained, t0 + timedelta(seconds=REFRESH_S * 0.49))
    assert early.rewritten == 0
    assert rows(db, feed)["v0"].current_fuel_percent == 0.9
    late = apply(db, feed, state, drained, t0 + timedelta(seconds=REFRESH_S))
    assert late.rewritten == 50 and late.changes == 0
    stored = rows(db, feed)
    assert {v.current_fuel_percent for v in stored.values()} == {0.5}
    assert {v.last_seen_at for v in stored.values()} == {t0 + timedelta(seconds=REFRESH_S)}


def test_refreshes_are_spread_over_the_interval(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    fleet = [obs(f"v{i}") for i in range(400)]
    apply(db, feed, state, fleet, t0)
    middle = apply(db, feed, state, fleet, t0 + timedelta(seconds=REFRESH_S * 0.75))
    assert 100 < middle.rewritten < 300


def test_the_stale_flag_is_written_and_cleared_per_feed(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a"), obs("b")], t0)
    apply(db, feed, state, [obs("a")], t0 + timedelta(seconds=10))
    assert live.mark_feed_stale(db, feed_id=feed.id, stale=True) == 1  # departed rows untouched
    stored = rows(db, feed)
    assert stored["a"].is_stale and not stored["b"].is_stale
    new = apply(db, feed, state, [obs("a"), obs("c")], t0 + timedelta(seconds=20), stale=True)
    assert new.appeared == 1 and rows(db, feed)["c"].is_stale
    assert live.mark_feed_stale(db, feed_id=feed.id, stale=False) == 2
    assert not any(v.is_stale for v in rows(db, feed).values())


def test_departed_rows_are_purged_after_the_retention(db: Session, feed: Feed, city: City):
    state = LiveState()
    t0 = utcnow() - timedelta(days=2)
    apply(db, feed, state, [obs("a"), obs("old")], t0)
    apply(db, feed, state, [obs("a"), obs("recent")], t0 + timedelta(days=1, hours=23))
    apply(db, feed, state, [obs("a")], t0 + timedelta(days=1, hours=23, seconds=10))
    removed = live.purge_departed(db, state=state, city_id=city.id, before=t0 + timedelta(days=1))
    assert removed == 1
    assert set(rows(db, feed)) == {"a", "recent"}
    # The purged id is new again when it comes back; the recent one returns.
    back = apply(db, feed, state, [obs("a"), obs("old"), obs("recent")], t0 + timedelta(days=2))
    assert (back.appeared, back.returned) == (1, 1)


def test_a_failed_write_forgets_the_feed_state(db: Session, feed: Feed):
    state = LiveState()
    t0 = utcnow()
    apply(db, feed, state, [obs("a")], t0)
    # Someone else stored "b" behind this state's back: inserting it again breaks the unique key.
    builders.make_vehicle(db, feed, lon=76.93, lat=43.25, vehicle_id="b", seen_at=t0)
    with pytest.raises(IntegrityError), db.begin_nested():
        apply(db, feed, state, [obs("a"), obs("b")], t0 + timedelta(seconds=10))
    assert all(f.feed_id != feed.id for f in state.loaded())
    again = apply(db, feed, state, [obs("a"), obs("b")], t0 + timedelta(seconds=20))
    assert (again.appeared, again.changes) == (0, 0)


def test_live_state_lives_in_the_job_context_state():
    holder: dict = {}
    assert live.live_state(holder) is live.live_state(holder)
