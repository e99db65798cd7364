"""The feed jobs: polling what is due, isolating failures, purging old rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.jobs import REGISTRY, JobContext
from tartip.feeds import jobs
from tartip.feeds.enums import PullOutcome
from tartip.feeds.models import FeedPull
from tartip.fleet.models import Vehicle
from tests import builders
from tests.feeds.conftest import FakeServer, add_feed

FBS = "almaty-v2.3/free_bike_status.json"


def test_the_jobs_are_registered_for_the_worker():
    assert REGISTRY["feeds.poll_due"].every_s == 1.0
    assert REGISTRY["feeds.purge"].run is jobs.purge


def test_only_due_and_enabled_feeds_are_polled(
    db: Session, city: City, jet: Company, ctx: JobContext, server: FakeServer
):
    due = add_feed(db, jet, server.url(FBS))
    later = add_feed(db, jet, server.url("almaty-v3.0/vehicle_status.json"))
    later.next_poll_at = utcnow() + timedelta(minutes=5)
    off = add_feed(db, jet, server.url("almaty-v1.1/gbfs.json"))
    off.enabled = False
    db.flush()
    jobs.poll_due(ctx, db, city)
    assert due.last_attempt_at is not None and due.next_poll_at is not None
    assert later.last_attempt_at is None and off.last_attempt_at is None
    assert server.hits(FBS) == 1
    assert server.hits("almaty-v3.0/vehicle_status.json") == 0


def test_a_feed_that_makes_tartip_fail_is_rolled_back_alone_and_counted(
    db: Session, city: City, jet: Company, feed_settings, server: FakeServer
):
    broken = add_feed(db, jet, server.url(FBS))
    ctx = JobContext(settings=feed_settings, http=None)  # every fetch raises AttributeError
    result = jobs.poll_one(ctx, db, broken)
    assert result.outcome is PullOutcome.error
    assert broken.consecutive_failures == 1
    assert broken.last_error is not None and broken.last_error.startswith(
        "Tartip could not process the feed (AttributeError"
    )
    (pull,) = db.scalars(select(FeedPull).where(FeedPull.feed_id == broken.id))
    assert (pull.file, pull.outcome) == ("poll", PullOutcome.error)


def test_purge_removes_long_departed_vehicles_and_old_pulls(
    db: Session, city: City, jet: Company, ctx: JobContext
):
    feed = builders.make_feed(db, jet)
    now = utcnow()
    builders.make_vehicle(
        db,
        feed,
        lon=76.9,
        lat=43.2,
        vehicle_id="gone-long-ago",
        in_feed=False,
        seen_at=now - timedelta(days=2),
    )
    builders.make_vehicle(
        db,
        feed,
        lon=76.9,
        lat=43.2,
        vehicle_id="gone-recently",
        in_feed=False,
        seen_at=now - timedelta(hours=1),
    )
    builders.make_vehicle(
        db, feed, lon=76.9, lat=43.2, vehicle_id="parked", seen_at=now - timedelta(days=3)
    )
    for age in (timedelta(days=8), timedelta(hours=1)):
        db.add(
            FeedPull(
                city_id=city.id,
                feed_id=feed.id,
                file="gbfs",
                url=feed.url,
                started_at=now - age,
                outcome=PullOutcome.ok,
            )
        )
    db.flush()
    jobs.purge(ctx, db, city)
    left = set(db.scalars(select(Vehicle.vehicle_id).where(Vehicle.feed_id == feed.id)))
    assert left == {"gone-recently", "parked"}
    ages = list(db.scalars(select(FeedPull.started_at).where(FeedPull.feed_id == feed.id)))
    assert len(ages) == 1 and ages[0] > now - timedelta(days=1)
