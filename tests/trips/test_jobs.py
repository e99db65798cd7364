"""The ``trips.pull`` job: due MDS feeds only, each in its own savepoint; GBFS polling untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import REGISTRY, JobContext
from tartip.feeds import mds_provider
from tartip.feeds import service as feeds_service
from tartip.feeds.enums import FeedAuth, FeedHealth, MdsEndpoint, PullOutcome
from tartip.feeds.http import make_client
from tartip.feeds.mds_provider import MdsAuth, MdsConfig
from tartip.feeds.models import Feed, FeedPull
from tartip.settings import Settings
from tartip.trips import jobs, pull
from tartip.trips.models import PullProgress, Trip
from tests import builders
from tests.trips import mds
from tests.trips.mds import ProviderServer


@pytest.fixture
def ctx(settings: Settings) -> Iterator[JobContext]:
    """The worker's job context (its HTTP client without retries)."""
    quick = settings.model_copy(update={"http_retries": 0})
    with make_client(quick) as client:
        yield JobContext(settings=quick, http=client)


def provider_feed(db: Session, city: City, server: ProviderServer, start: datetime) -> Feed:
    jet = builders.company(db, city, "jet")
    return mds_provider.ensure(
        db,
        city_id=city.id,
        company_id=jet.id,
        url=server.url("jet/mds"),
        version="2.0",
        auth=MdsAuth(kind=FeedAuth.bearer, token="provider-secret"),
        config=MdsConfig(endpoints=(MdsEndpoint.trips,), start=start),
    )


def test_the_job_pulls_due_provider_feeds_and_the_gbfs_poller_leaves_them(
    db: Session, city: City, provider: ProviderServer, ctx: JobContext
):
    hour = (utcnow() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    feed = provider_feed(db, city, provider, hour)
    gbfs = builders.make_feed(db, builders.company(db, city, "whoosh"))
    made = mds.trip(mds.new_id(), hour + timedelta(minutes=5))
    provider.put(
        "/jet/mds/trips", mds.page_20("trips", [made]), query=f"end_time={mds.hour_text(hour)}"
    )

    assert "trips.pull" in REGISTRY and "trips.retention" in REGISTRY
    assert [f.id for f in feeds_service.due_feeds(db, city_id=city.id, now=utcnow())] == [gbfs.id]
    jobs.pull_due(ctx, db, city)

    assert db.scalars(select(Trip.trip_id).where(Trip.company_id == feed.company_id)).all() == [
        made["trip_id"]
    ]
    assert feed.next_poll_at is not None and feed.next_poll_at > utcnow()
    assert pull.due_feeds(db, city_id=city.id, now=utcnow()) == []  # not again until due
    jobs.pull_due(ctx, db, city)
    assert len(provider.data_requests("/jet/mds/trips")) == 1


def test_a_failure_of_tartip_rolls_the_feed_back_and_counts_as_a_failed_pull(
    db: Session,
    city: City,
    provider: ProviderServer,
    ctx: JobContext,
    monkeypatch: pytest.MonkeyPatch,
):
    hour = datetime(2026, 11, 20, 6, tzinfo=UTC)
    feed = provider_feed(db, city, provider, hour)
    provider.put("/jet/mds/trips", mds.page_20("trips", [mds.trip(mds.new_id(), hour)]))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("tartip.trips.ingest.store_trips", broken)
    result = jobs.pull_one(ctx, db, feed, now=hour + timedelta(minutes=70))

    assert result is None
    logs = db.scalars(select(FeedPull).where(FeedPull.feed_id == feed.id)).all()
    assert [(p.file, p.outcome) for p in logs] == [("poll", PullOutcome.error)]
    assert logs[0].error == "Tartip could not process the MDS feed (RuntimeError: disk full)"
    assert feed.consecutive_failures == 1 and feed.health != FeedHealth.up
    # the progress of the failed pull was rolled back: the hour is asked again next time
    progress = db.scalars(select(PullProgress).where(PullProgress.feed_id == feed.id)).all()
    assert progress == []
    assert db.scalars(select(Trip).where(Trip.company_id == feed.company_id)).all() == []
