"""Pulling MDS Provider feeds from a real HTTP server on loopback, on both databases.

Paging, hours not ready (202, early 404) asked again later, resuming after a restart without
duplicates, OAuth client credentials, MDS 1.2 and 2.0, bad records reported without losing the
good ones, and every fetch logged as a ``FeedPull`` with the feed's health.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.feeds import mds_provider
from tartip.feeds.enums import FeedAuth, FeedHealth, MdsEndpoint, PullOutcome
from tartip.feeds.http import make_client
from tartip.feeds.mds_provider import MdsAuth, MdsConfig
from tartip.feeds.models import Feed, FeedPull
from tartip.settings import Settings
from tartip.trips import pull
from tartip.trips.mds_http import CachedToken
from tartip.trips.models import MdsReport, MdsVehicle, PullProgress, Telemetry, Trip, VehicleEvent
from tests import builders
from tests.trips import mds
from tests.trips.mds import ProviderServer

H1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
BASE = "/jet/mds"
HOURLY = (MdsEndpoint.trips, MdsEndpoint.events_historical, MdsEndpoint.telemetry)


@pytest.fixture
def pull_settings(settings: Settings) -> Settings:
    """Test settings: no retries in transit, small samples."""
    return settings.model_copy(update={"http_retries": 0, "mds_schema_sample_records": 5})


@pytest.fixture
def http(pull_settings: Settings) -> Iterator[httpx.Client]:
    """Tartip's configured HTTP client."""
    with make_client(pull_settings) as client:
        yield client


def make_feed(
    db: Session,
    city: City,
    server: ProviderServer,
    *,
    endpoints: tuple[MdsEndpoint, ...] = HOURLY,
    version: str = "2.0",
    auth: MdsAuth | None = None,
    slug: str = "jet",
) -> Feed:
    company = builders.company(db, city, slug)
    return mds_provider.ensure(
        db,
        city_id=city.id,
        company_id=company.id,
        url=server.url(f"{slug}/mds"),
        version=version,
        auth=auth or MdsAuth(kind=FeedAuth.bearer, token="provider-secret"),
        config=MdsConfig(endpoints=endpoints, start=H1),
    )


class Puller:
    """Pulls one feed the way the job does; ``restart`` forgets everything held in memory."""

    def __init__(self, db: Session, feed: Feed, http: httpx.Client, settings: Settings) -> None:
        self.db, self.feed, self.http, self.settings = db, feed, http, settings
        self.tokens: dict[int, CachedToken] = {}

    def __call__(self, now: datetime) -> pull.PullResult:
        result = pull.pull_feed(
            self.db,
            feed=self.feed,
            http=self.http,
            settings=self.settings,
            tokens=self.tokens,
            now=now,
        )
        self.db.flush()
        return result

    def restart(self) -> None:
        self.tokens = {}
        self.db.expire_all()


def count(db: Session, model: Any, feed: Feed) -> int:
    return int(
        db.scalar(
            select(func.count()).select_from(model).where(model.company_id == feed.company_id)
        )
        or 0
    )


def pulls(db: Session, feed: Feed) -> list[FeedPull]:
    return list(
        db.scalars(select(FeedPull).where(FeedPull.feed_id == feed.id).order_by(FeedPull.id))
    )


def put_hour(
    server: ProviderServer, hour: datetime, rides: int = 3, *, slug: str = "jet"
) -> list[str]:
    """Serve ``rides`` trips with their events and telemetry for ``hour``; returns the trip ids."""
    trips, events, points = [], [], []
    for i in range(rides):
        device = mds.new_id()
        made, evs = mds.ride(device, hour + timedelta(minutes=5 * i), minutes=4)
        trips.append(made)
        events += evs
        points.append(
            mds.telemetry(device, hour + timedelta(minutes=5 * i + 1), trip_id=made["trip_id"])
        )
    text = mds.hour_text(hour)
    base = f"/{slug}/mds"
    server.put(f"{base}/trips", mds.page_20("trips", trips), query=f"end_time={text}")
    server.put(
        f"{base}/events/historical", mds.page_20("events", events), query=f"event_time={text}"
    )
    server.put(
        f"{base}/telemetry", mds.page_20("telemetry", points), query=f"telemetry_time={text}"
    )
    return [t["trip_id"] for t in trips]


def test_pulls_pages_and_hours_and_logs_every_fetch(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(
        db, city, provider, endpoints=(MdsEndpoint.vehicles, MdsEndpoint.vehicles_status, *HOURLY)
    )
    devices = [mds.new_id() for _ in range(3)]
    provider.put(
        f"{BASE}/vehicles",
        mds.page_20(
            "vehicles",
            [mds.vehicle(devices[0], "J-1")],
            links={"next": provider.url("jet/mds/vehicles?page=2")},
        ),
    )
    provider.put(
        f"{BASE}/vehicles",
        mds.page_20(
            "vehicles",
            [mds.vehicle(d, f"J-{i}") for i, d in enumerate(devices[1:], 2)],
            links={"next": None},
        ),
        query="page=2",
    )
    statuses = [
        {
            "device_id": d,
            "provider_id": mds.PROVIDER_ID,
            "last_event": mds.event(d, H1, "available", ["provider_drop_off"]),
        }
        for d in devices
    ]
    provider.put(
        f"{BASE}/vehicles/status",
        mds.page_20(
            "vehicles_status", statuses, last_updated=mds.ms(H1 + timedelta(minutes=89)), ttl=60000
        ),
    )
    text = mds.hour_text(H1)
    trips = [
        mds.trip(devices[0], H1 + timedelta(minutes=10)),
        mds.trip(devices[1], H1 + timedelta(minutes=20)),
    ]
    provider.put(
        f"{BASE}/trips",
        mds.page_20(
            "trips",
            trips[:1],
            links={"next": provider.url(f"jet/mds/trips?end_time={text}&page=2")},
        ),
        query=f"end_time={text}",
    )
    provider.put(
        f"{BASE}/trips",
        mds.page_20("trips", trips[1:], links={"next": None}),
        query=f"end_time={text}&page=2",
    )
    provider.put(f"{BASE}/events/historical", mds.page_20("events", []), query=f"event_time={text}")
    provider.put(f"{BASE}/telemetry", mds.page_20("telemetry", []), query=f"telemetry_time={text}")

    result = Puller(db, feed, http, pull_settings)(H1 + timedelta(minutes=90))

    assert (result.new, result.rejected, result.flagged, result.pending) >= (5, 0, 0, 0)
    assert count(db, Trip, feed) == 2 and count(db, VehicleEvent, feed) == 3
    vehicles = {
        v.device_id: v
        for v in db.scalars(select(MdsVehicle).where(MdsVehicle.company_id == feed.company_id))
    }
    assert vehicles[devices[2]].vehicle_id == "J-3" and vehicles[devices[0]].state == "available"
    stored = db.scalars(select(Trip).where(Trip.trip_id == trips[1]["trip_id"])).one()
    assert (
        stored.vehicle_id == "J-2"
        and stored.source == "provider"
        and stored.start_district is not None
    )
    files = [(p.file, p.outcome, p.records, p.http_status) for p in pulls(db, feed)]
    assert files == [
        ("vehicles", "ok", 1, 200),
        ("vehicles", "ok", 2, 200),
        ("vehicles_status", "ok", 3, 200),
        ("trips 2026-11-20T06", "ok", 1, 200),
        ("trips 2026-11-20T06", "ok", 1, 200),
        ("events_historical 2026-11-20T06", "ok", 0, 200),
        ("telemetry 2026-11-20T06", "ok", 0, 200),
    ]
    seen = provider.data_requests(f"{BASE}/trips")[0]
    assert seen.headers["accept"] == "application/vnd.mds+json;version=2.0"
    assert seen.headers["authorization"] == "Bearer provider-secret"
    assert feed.health == FeedHealth.up and feed.vehicle_count == 3
    assert feed.data_updated_at == H1 + timedelta(minutes=89)
    progress = db.scalars(
        select(PullProgress).where(
            PullProgress.feed_id == feed.id, PullProgress.endpoint == "trips"
        )
    ).one()
    assert progress.next_at == H1 + timedelta(hours=1) and progress.pending == []


def test_an_hour_not_ready_is_asked_again_later(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(db, city, provider, endpoints=(MdsEndpoint.trips,))
    text = mds.hour_text(H1)
    provider.put(f"{BASE}/trips", None, query=f"end_time={text}", status=202)
    puller = Puller(db, feed, http, pull_settings)
    now = H1 + timedelta(minutes=70)

    first = puller(now)

    assert first.pending == 1 and count(db, Trip, feed) == 0
    log = pulls(db, feed)[-1]
    assert (log.outcome, log.http_status) == (PullOutcome.not_ready, 202)
    assert feed.health == FeedHealth.up  # 202 is the spec's "not yet", not a failure
    puller(now + timedelta(minutes=2))  # before the retry time: not asked
    assert len(provider.data_requests(f"{BASE}/trips")) == 1

    trips = put_hour(provider, H1, rides=2)
    second = puller(now + timedelta(minutes=6))

    assert second.pending == 0 and count(db, Trip, feed) == 2
    assert len(provider.data_requests(f"{BASE}/trips")) == 2
    assert {
        t.trip_id for t in db.scalars(select(Trip).where(Trip.company_id == feed.company_id))
    } == set(trips)


def test_404_soon_after_the_hour_waits_and_later_means_no_data(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(db, city, provider, endpoints=(MdsEndpoint.trips,))
    puller = Puller(db, feed, http, pull_settings)
    # nothing served: every hour answers 404
    puller(H1 + timedelta(minutes=70))
    progress = db.scalars(select(PullProgress).where(PullProgress.feed_id == feed.id)).one()
    assert [p["hour"] for p in progress.pending] == [H1.isoformat()]
    assert pulls(db, feed)[-1].outcome == PullOutcome.not_ready

    later = H1 + timedelta(hours=1, seconds=pull_settings.mds_not_found_grace_s + 60)
    puller(later)
    assert H1.isoformat() not in [p["hour"] for p in progress.pending]  # newer hours may wait
    done = [p for p in pulls(db, feed) if p.file == f"trips {mds.hour_text(H1)}"][-1]
    assert done.outcome == PullOutcome.ok and done.problems[0]["message"].startswith("404")


def test_restart_resumes_where_it_stopped_without_duplicates(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    settings = pull_settings.model_copy(update={"mds_max_hours_per_pull": 2})
    feed = make_feed(db, city, provider)
    hours = [H1 + timedelta(hours=i) for i in range(4)]
    for hour in hours:
        put_hour(provider, hour)
    broken = (f"{BASE}/telemetry", f"telemetry_time={mds.hour_text(hours[1])}")
    telemetry_1 = provider.answers[broken]
    provider.answers[broken] = (500, {"error": "boom", "error_description": "database down"})
    now = hours[-1] + timedelta(minutes=75)
    puller = Puller(db, feed, http, settings)

    puller(now)  # hours 0 and 1; telemetry of hour 1 fails and stays pending
    assert (count(db, Trip, feed), count(db, Telemetry, feed)) == (6, 3)
    failed = [p for p in pulls(db, feed) if p.outcome == PullOutcome.error]
    assert (
        failed[0].error == "telemetry answered HTTP 500 Internal Server Error: boom — database down"
    )

    puller.restart()  # a new worker: nothing in memory, only what the database holds
    provider.answers[broken] = telemetry_1
    puller(now + timedelta(minutes=10))  # the pending hour, then hours 2 and 3
    puller(now + timedelta(minutes=20))  # nothing left

    asked = [s.query["end_time"] for s in provider.data_requests(f"{BASE}/trips")]
    assert asked == [mds.hour_text(h) for h in hours]  # each hour once, in order
    totals = (count(db, Trip, feed), count(db, VehicleEvent, feed), count(db, Telemetry, feed))
    assert totals == (12, 24, 12)

    # Asking every hour again (a re-pull) adds nothing.
    for progress in db.scalars(select(PullProgress).where(PullProgress.feed_id == feed.id)):
        progress.next_at = H1
    again = Puller(db, feed, http, pull_settings.model_copy(update={"mds_max_hours_per_pull": 4}))
    result = again(now + timedelta(minutes=30))
    assert (result.new, result.duplicates) == (0, 48)
    assert (
        count(db, Trip, feed),
        count(db, VehicleEvent, feed),
        count(db, Telemetry, feed),
    ) == totals


def test_oauth_client_credentials_token_is_fetched_cached_and_renewed(
    db: Session,
    city: City,
    oauth_provider: ProviderServer,
    http: httpx.Client,
    pull_settings: Settings,
):
    auth = MdsAuth(
        kind=FeedAuth.oauth,
        client_id="tartip",
        client_secret="client-secret",
        token_url=oauth_provider.url("oauth/token"),
    )
    feed = make_feed(db, city, oauth_provider, endpoints=(MdsEndpoint.trips,), auth=auth)
    for i in range(3):
        put_hour(oauth_provider, H1 + timedelta(hours=i), rides=1)
    puller = Puller(db, feed, http, pull_settings)

    puller(H1 + timedelta(minutes=70))
    puller(H1 + timedelta(minutes=130))
    assert oauth_provider.issued == ["tok-1"]  # one token, reused from the cache
    assert {s.headers["authorization"] for s in oauth_provider.data_requests(f"{BASE}/trips")} == {
        "Bearer tok-1"
    }

    oauth_provider.revoked.add("tok-1")  # the company revokes it early: 401, a new token, retried
    puller(H1 + timedelta(minutes=190))
    assert oauth_provider.issued == ["tok-1", "tok-2"]
    assert count(db, Trip, feed) == 3 and feed.health == FeedHealth.up
    token_post = [s for s in oauth_provider.seen if s.method == "POST"][0]
    assert token_post.body == b"grant_type=client_credentials"


def test_wrong_oauth_secret_is_a_clear_failure_on_feed_health(
    db: Session,
    city: City,
    oauth_provider: ProviderServer,
    http: httpx.Client,
    pull_settings: Settings,
):
    auth = MdsAuth(
        kind=FeedAuth.oauth,
        client_id="tartip",
        client_secret="wrong",
        token_url=oauth_provider.url("oauth/token"),
    )
    feed = make_feed(db, city, oauth_provider, endpoints=(MdsEndpoint.trips,), auth=auth)
    puller = Puller(db, feed, http, pull_settings)
    now = H1 + timedelta(minutes=70)
    for minutes in (0, 5):
        puller(now + timedelta(minutes=minutes))
    log = pulls(db, feed)[-1]
    assert log.outcome == PullOutcome.error
    assert log.error == (
        "trips the OAuth token URL answered HTTP 401 (invalid_client): "
        "check the client id and secret"
    )
    assert feed.health == FeedHealth.down and feed.consecutive_failures == 2
    progress = db.scalars(select(PullProgress).where(PullProgress.feed_id == feed.id)).one()
    assert [p["status"] for p in progress.pending] == ["error"]  # the hour is kept, not lost


def test_mds_1_2_trips_status_changes_and_vehicles(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    endpoints = (MdsEndpoint.vehicles, MdsEndpoint.trips, MdsEndpoint.events_historical)
    feed = make_feed(db, city, provider, endpoints=endpoints, version="1.2", slug="yandex-go")
    device = mds.new_id()
    text = mds.hour_text(H1)
    base = "/yandex-go/mds"
    made = mds.trip_12(device, H1 + timedelta(minutes=5))
    changes = [
        mds.status_change_12(
            device, H1 + timedelta(minutes=5), "on_trip", ["trip_start"], trip_id=made["trip_id"]
        ),
        mds.status_change_12(
            device, H1 + timedelta(minutes=15), "available", ["trip_end"], trip_id=made["trip_id"]
        ),
        mds.status_change_12(
            device, H1 + timedelta(minutes=30), "available", ["trip_end"], trip_id=made["trip_id"]
        ),
    ]
    vehicle = {
        k: v
        for k, v in changes[0].items()
        if k not in ("vehicle_state", "event_types", "event_time", "event_location")
    }
    vehicle |= {
        "last_event_time": changes[1]["event_time"],
        "last_vehicle_state": "available",
        "last_event_types": ["trip_end"],
    }
    provider.put(
        f"{base}/vehicles", mds.page_12("vehicles", [vehicle], last_updated=mds.ms(H1), ttl=0)
    )
    provider.put(f"{base}/trips", mds.page_12("trips", [made]), query=f"end_time={text}")
    provider.put(  # MDS 1.2's name for the hourly events
        f"{base}/status_changes",
        mds.page_12("status_changes", changes),
        query=f"event_time={text}",
    )
    puller = Puller(db, feed, http, pull_settings)

    puller(H1 + timedelta(minutes=70))

    stored = db.scalars(select(Trip).where(Trip.company_id == feed.company_id)).one()
    assert stored.vehicle_id == "Y-0042" and stored.duration_s == 600 and stored.distance_m == 1800
    assert stored.route is not None and len(stored.route.coords) == 3
    assert (stored.start_lon, stored.end_lat) == (mds.ALMATY[0], 43.2380)
    events = db.scalars(
        select(VehicleEvent)
        .where(VehicleEvent.company_id == feed.company_id)
        .order_by(VehicleEvent.timestamp)
    ).all()
    assert [e.vehicle_state for e in events] == ["on_trip", "available", "available"]
    assert [e.flagged for e in events] == [False, False, True]  # trip_end while available
    assert events[0].trip_ids == [made["trip_id"]]
    seen = provider.data_requests(f"{base}/trips")[0]
    assert seen.headers["accept"] == "application/vnd.mds.provider+json;version=1.2"

    # 1.2 events have no id: Tartip's derived ids make a re-pull add nothing
    for progress in db.scalars(select(PullProgress).where(PullProgress.feed_id == feed.id)):
        progress.next_at = H1
    result = puller(H1 + timedelta(minutes=80))
    assert result.new == 0 and count(db, VehicleEvent, feed) == 3


def test_bad_records_are_reported_with_their_path_and_good_ones_kept(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(db, city, provider, endpoints=(MdsEndpoint.trips,))
    device = mds.new_id()
    good = mds.trip(device, H1 + timedelta(minutes=3))
    off_the_map = mds.trip(device, H1 + timedelta(minutes=20))
    off_the_map["start_location"]["lat"] = 123.4
    no_duration = {
        k: v for k, v in mds.trip(device, H1 + timedelta(minutes=40)).items() if k != "duration"
    }
    provider.put(
        f"{BASE}/trips",
        mds.page_20("trips", [good, off_the_map, no_duration]),
        query=f"end_time={mds.hour_text(H1)}",
    )

    result = Puller(db, feed, http, pull_settings)(H1 + timedelta(minutes=70))

    assert result.rejected == 2 and count(db, Trip, feed) == 1
    log = pulls(db, feed)[-1]
    assert (log.outcome, log.records, log.records_rejected) == (PullOutcome.ok, 3, 2)
    problems = [(p["where"], p["message"]) for p in log.problems]
    assert ("trips[1].start_location.lat", "latitude 123.4 out of range") in problems
    assert any(w == "trips[2]" and "duration" in m for w, m in problems)
    assert log.schema_problems >= 2  # the official schema sees both too


def test_a_server_that_does_not_answer_makes_the_feed_down(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(db, city, provider, endpoints=(MdsEndpoint.vehicles_status, MdsEndpoint.trips))
    feed.url = "http://127.0.0.1:9/jet/mds/"  # discard port: nothing listens
    puller = Puller(db, feed, http, pull_settings)
    now = H1 + timedelta(minutes=70)
    puller(now)
    puller(now + timedelta(minutes=5))
    logs = pulls(db, feed)
    assert [p.file for p in logs] == ["vehicles_status", "vehicles_status"]  # stops after a failure
    assert logs[-1].error.startswith("vehicles/status could not be reached")
    assert feed.health == FeedHealth.down and feed.last_error == logs[-1].error


def test_monthly_report_is_read_once_per_month(
    db: Session, city: City, provider: ProviderServer, http: httpx.Client, pull_settings: Settings
):
    feed = make_feed(db, city, provider, endpoints=(MdsEndpoint.reports,))
    csv = (
        "provider_id,start_date,duration,special_group_type,geography_id,vehicle_type,trip_count,rider_count\n"
        f"{mds.PROVIDER_ID},2026-11-01,P1M,all_riders,,scooter_standing,1302,983\n"
        f"{mds.PROVIDER_ID},2026-11-01,P1M,low_income,,scooter_standing,12,-1\n"
    )
    provider.put(f"{BASE}/reports", csv, query="start_time=2026-11")
    puller = Puller(db, feed, http, pull_settings)
    puller(datetime(2026, 11, 28, tzinfo=UTC))  # November is not over: nothing asked
    assert provider.data_requests(f"{BASE}/reports") == []
    puller(datetime(2026, 12, 2, tzinfo=UTC))
    puller(datetime(2026, 12, 3, tzinfo=UTC))
    assert len(provider.data_requests(f"{BASE}/reports")) == 1
    rows = db.scalars(
        select(MdsReport)
        .where(MdsReport.company_id == feed.company_id)
        .order_by(MdsReport.trip_count)
    ).all()
    assert [(r.special_group_type, r.trip_count, r.rider_count) for r in rows] == [
        ("low_income", 12, None),
        ("all_riders", 1302, 983),
    ]
