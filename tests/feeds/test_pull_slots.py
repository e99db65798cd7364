"""Feed pulls summed per 5-minute slot: written with every poll, equal to a recount from the
pulls, kept when the pulls are purged (so a past month's scorecard still measures its feeds), and
summed by the migration from the pulls a database already had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.feeds import jobs, pull_slots, service
from tartip.feeds.enums import PullOutcome
from tartip.feeds.models import FeedPull, FeedPullSlot
from tartip.reports import service as scorecard_service
from tartip.reports.scorecard import MeasureKey
from tests import builders
from tests.feeds.conftest import FakeServer, add_feed
from tests.reports import helpers

FBS = "almaty-v2.3/free_bike_status.json"
COLUMNS = ("slot_start", *pull_slots.SUMS)


def slot_rows(db: Session, feed_id: int) -> list[tuple[Any, ...]]:
    columns = [getattr(FeedPullSlot, c) for c in COLUMNS]
    stmt = select(*columns).where(FeedPullSlot.feed_id == feed_id).order_by(FeedPullSlot.slot_start)
    return [tuple(row) for row in db.execute(stmt)]


def test_every_poll_adds_its_pulls_to_their_slot_and_a_recount_agrees(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    t0 = utcnow()
    server.put_fresh(FBS, t0)
    service.poll(db, ctx=ctx, feed=feed, now=t0)
    server.route(FBS, httpx.Response(503))
    service.poll(db, ctx=ctx, feed=feed, now=t0 + timedelta(seconds=10))
    server.restore(FBS)
    server.put_fresh(FBS, t0 + timedelta(seconds=20))
    service.poll(db, ctx=ctx, feed=feed, now=t0 + timedelta(seconds=20))

    pulls = list(
        db.scalars(select(FeedPull).where(FeedPull.feed_id == feed.id).order_by(FeedPull.id))
    )
    assert [p.outcome for p in pulls] == [PullOutcome.ok, PullOutcome.error, PullOutcome.ok]
    # The fixture's snapshot: 9 records, 5 of them unusable.
    counted = [p.records - p.records_rejected for p in pulls if p.outcome == PullOutcome.ok]
    assert counted == [4, 4]
    rows = slot_rows(db, feed.id)
    by_column = {c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)}
    assert sum(by_column["pulls"]) == 3 and sum(by_column["failed"]) == 1
    assert sum(by_column["vehicle_pulls"]) == 3 and sum(by_column["snapshots"]) == 2
    assert sum(by_column["vehicles_sum"]) == 8 and max(by_column["vehicles_peak"]) == 4
    assert max(a for a in by_column["last_new_at"] if a) == pulls[-1].started_at
    assert all(row[0].timestamp() % pull_slots.SLOT_S == 0 for row in rows)

    # A recount from the pulls writes the very same sums.
    assert pull_slots.rebuild(db) == len(rows)
    assert slot_rows(db, feed.id) == rows


def test_sums_merge_pull_by_pull_whatever_order_they_come_in(db: Session, city: City, jet: Company):
    feed = builders.make_feed(db, jet)
    slot = datetime(2026, 6, 1, 7, 5, tzinfo=UTC)
    early, late = slot + timedelta(seconds=40), slot + timedelta(seconds=200)
    # The later snapshot (7 vehicles) is stored first; the earlier (9, one unusable) after it.
    helpers.pull(db, feed, late, records=7)
    helpers.pull(db, feed, early, records=9, rejected=1)
    helpers.pull(db, feed, slot + timedelta(seconds=100), outcome=PullOutcome.not_modified)
    helpers.pull(db, feed, slot + timedelta(seconds=120), file="gbfs")
    helpers.pull(db, feed, slot + timedelta(seconds=299), outcome=PullOutcome.error)
    helpers.pull(db, feed, slot + timedelta(seconds=300), records=3)  # the next slot's
    assert slot_rows(db, feed.id) == [
        (slot, 5, 1, 4, late, 7, 2, 15, 8),
        (slot + timedelta(seconds=300), 1, 0, 1, slot + timedelta(seconds=300), 3, 1, 3, 3),
    ]


def test_a_months_feed_measures_outlive_the_purged_pulls(db: Session, city: City, ctx: JobContext):
    companies = cities_service.list_companies(db, city_id=city.id)
    feed = builders.make_feed(db, companies[0])
    for day in range(30):
        for minute in range(0, 60, 5):
            outcome = PullOutcome.error if (day, minute) == (3, 15) else PullOutcome.ok
            records = None if outcome is PullOutcome.error else 100 + day
            helpers.pull(db, feed, helpers.at(days=day, hours=10, minutes=minute), outcome=outcome,
                         records=records)  # fmt: skip
    scope = Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)

    def measures() -> tuple[Any, ...]:
        card = scorecard_service.scorecard(db, scope=scope, month=helpers.MONTH, now=helpers.AFTER)
        company = next(c for c in card.companies if c.company.id == companies[0].id)
        feed_measure, deployed = (
            company.measure(MeasureKey.feed),
            company.measure(MeasureKey.deployed),
        )
        return tuple(f.value for f in (*feed_measure.figures, *feed_measure.inputs)) + tuple(
            f.value for f in deployed.figures
        )

    before = measures()
    assert before[:2] == (round(359 / 360, 4), round(359 / 360, 4))
    jobs.purge(ctx, db, city)  # "now" is long after June: its pulls go
    assert db.scalar(select(func.count()).select_from(FeedPull)) == 0
    assert measures() == before
    # A recount touches only the slots that still have pulls.
    assert pull_slots.rebuild(db) == 0
    assert measures() == before


def test_the_migration_sums_the_pulls_already_kept(empty_url: str):
    migrate.upgrade(empty_url, "3a0f1c2d4e09")
    engine = make_engine(empty_url)
    try:
        with Session(engine) as db:
            city = cities_service.seed_almaty(db)
            jet = cities_service.list_companies(db, city_id=city.id)[0]
            # Written as a week of polls had left them: pulls, and no slot sums yet.
            feed = builders.make_feed(db, jet)
            feed_id = feed.id
            moments = [datetime(2026, 6, 1, 7, 0, s, tzinfo=UTC) for s in (10, 20, 40)]
            moments.append(datetime(2026, 6, 1, 7, 6, tzinfo=UTC))
            for i, moment in enumerate(moments):
                failed = i == 1
                db.add(
                    FeedPull(city_id=city.id, feed_id=feed_id, file="vehicle_status", url="u",
                             started_at=moment, outcome="error" if failed else "ok",
                             records=None if failed else 10 + i, records_rejected=1)
                )  # fmt: skip
            db.commit()
        migrate.upgrade(empty_url)
        with Session(engine) as db:
            migrated = slot_rows(db, feed_id)
            assert [r[1:4] for r in migrated] == [(3, 1, 3), (1, 0, 1)]
            pull_slots.rebuild(db)
            assert slot_rows(db, feed_id) == migrated
    finally:
        engine.dispose()
