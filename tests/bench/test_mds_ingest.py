"""One day of MDS at Almaty's scale through the Provider pull: 100,000 trips and 400,000 events.

A company's Provider API (a stdlib HTTP server on loopback, serving pre-rendered pages) holds one
day: 20,000 scooters, 100,000 trips, each with four events (reservation_start, trip_start,
changed_geographies, trip_end, all legal transitions). Tartip pulls the 24 hours of ``trips`` and
``events/historical`` in one pull, the way the worker does (fetch, parse, check, judge against
the state machine, find districts, write idempotently), on SQLite and on PostgreSQL, and commits.
The baseline in the same run is reading the same pages alone (``orjson.loads``).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from sqlalchemy import func, select

from tartip.cities import service as cities_service
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory
from tartip.feeds import mds_provider
from tartip.feeds.enums import FeedAuth, MdsEndpoint
from tartip.feeds.http import make_client
from tartip.settings import Settings
from tartip.trips import pull
from tartip.trips.models import Trip, VehicleEvent
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.bench

TRIPS = 100_000
DEVICES = 20_000
DAY = datetime(2026, 7, 15, tzinfo=UTC)
TARGET_S = 60.0
Record = Callable[[str, list[tuple[str, float, str]]], None]
# Almaty's built-up area, where trips start and end.
LON, LAT = (76.83, 77.02), (43.19, 43.30)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(seed: int = 7) -> dict[str, bytes]:
    """Pre-rendered pages ``{path?query: body}`` of one day of trips and events."""
    rng = random.Random(seed)
    provider = "3f8908a7-86fa-450d-8889-5d49077e06cd"
    devices = [_uuid(rng) for _ in range(DEVICES)]
    per_device = TRIPS // DEVICES
    window = timedelta(hours=23) / per_device  # each trip of a scooter in its own window
    trips: dict[int, list[dict[str, Any]]] = {h: [] for h in range(24)}
    events: dict[int, list[dict[str, Any]]] = {h: [] for h in range(24)}
    for n in range(TRIPS):
        device = devices[n % DEVICES]
        opens = DAY + (n // DEVICES) * window
        reserved = opens + timedelta(seconds=rng.randint(60, int(window.total_seconds()) - 2700))
        start = reserved + timedelta(seconds=rng.randint(30, 300))
        minutes = rng.randint(4, 30)
        end = start + timedelta(minutes=minutes)
        trip_id = _uuid(rng)
        a = (rng.uniform(*LON), rng.uniform(*LAT))
        b = (rng.uniform(*LON), rng.uniform(*LAT))
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        trips[end.hour].append(
            {
                "provider_id": provider,
                "device_id": device,
                "trip_id": trip_id,
                "start_time": _ms(start),
                "end_time": _ms(end),
                "start_location": {"lat": a[1], "lng": a[0]},
                "end_location": {"lat": b[1], "lng": b[0]},
                "duration": minutes * 60,
                "distance": int(minutes * 250),
            }
        )
        steps = [
            (reserved, "reserved", ["reservation_start"], a, []),
            (start, "on_trip", ["trip_start"], a, [trip_id]),
            (start + (end - start) / 2, "on_trip", ["changed_geographies"], mid, [trip_id]),
            (end, "available", ["trip_end"], b, [trip_id]),
        ]
        for at, state, types, (lon, lat), trip_ids in steps:
            event = {
                "provider_id": provider,
                "device_id": device,
                "event_id": _uuid(rng),
                "vehicle_state": state,
                "event_types": types,
                "timestamp": _ms(at),
                "location": {"lat": lat, "lng": lon},
            }
            if trip_ids:
                event["trip_ids"] = trip_ids
            events[at.hour if at.date() == DAY.date() else 23].append(event)
    pages: dict[str, bytes] = {}
    for hour in range(24):
        text = f"{DAY + timedelta(hours=hour):%Y-%m-%dT%H}"
        pages[f"/jet/mds/trips?end_time={text}"] = orjson.dumps(
            {"version": "2.0.0", "trips": trips[hour]}
        )
        pages[f"/jet/mds/events/historical?event_time={text}"] = orjson.dumps(
            {"version": "2.0.0", "events": events[hour]}
        )
    return pages


class _Server:
    def __init__(self, pages: dict[str, bytes]) -> None:
        outer = self
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urlsplit(self.path)
                body = outer.pages.get(f"{parts.path}?{parts.query}")
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/vnd.mds+json;version=2.0")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *_args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    """The company's Provider API with the day's pages."""
    made = _Server(_day())
    thread = threading.Thread(target=made.httpd.serve_forever, daemon=True)
    thread.start()
    yield made
    made.httpd.shutdown()
    made.httpd.server_close()


def _database(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'bench.db'}", None
    name = "tartip_bench_mds"
    return create_pg_database(name), name


@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_a_day_of_trips_and_events(backend: str, server: _Server, tmp_path: Path, record: Record):
    url, pg_name = _database(backend, tmp_path)
    migrate.upgrade(url)
    settings = Settings(env="test", database_url=url, data_dir=tmp_path, mds_max_hours_per_pull=24)
    engine = make_engine(url)
    http = make_client(settings)
    try:
        with make_session_factory(engine, writer=True)() as db:
            city = cities_service.seed_almaty(db)
            jet = cities_service.get_company(db, city_id=city.id, slug="jet")
            assert jet is not None
            feed = mds_provider.ensure(
                db,
                city_id=city.id,
                company_id=jet.id,
                url=f"{server.base}/jet/mds/",
                version="2.0",
                auth=mds_provider.MdsAuth(kind=FeedAuth.none),
                config=mds_provider.MdsConfig(
                    endpoints=(MdsEndpoint.trips, MdsEndpoint.events_historical), start=DAY
                ),
            )
            db.commit()
            started = time.perf_counter()
            result = pull.pull_feed(
                db,
                feed=feed,
                http=http,
                settings=settings,
                tokens={},
                now=DAY + timedelta(days=1, hours=1),
            )
            db.commit()
            seconds = time.perf_counter() - started
            trips = db.scalar(select(func.count()).select_from(Trip))
            events = db.scalar(select(func.count()).select_from(VehicleEvent))
            flagged = db.scalar(
                select(func.count()).select_from(VehicleEvent).where(VehicleEvent.flagged)
            )
            located = db.scalar(
                select(func.count()).select_from(Trip).where(Trip.start_district.is_not(None))
            )
    finally:
        http.close()
        engine.dispose()
        if pg_name:
            drop_pg_database(pg_name)
    assert (trips, events, result.rejected, result.error) == (TRIPS, 4 * TRIPS, 0, None)
    assert flagged == 0 and located > 0.5 * TRIPS
    started = time.perf_counter()
    for body in server.pages.values():
        orjson.loads(body)
    parse_ms = 1000 * (time.perf_counter() - started)
    verdict = "met" if seconds < TARGET_S else "MISSED"
    size_mb = sum(len(b) for b in server.pages.values()) / 1e6
    record(
        "MDS ingest: one day of 100,000 trips and 400,000 events (issue 6)",
        [
            (
                f"{backend}: pull 24 hours of trips and events/historical, store, commit",
                1000 * seconds,
                f"{result.fetches} fetches, {size_mb:.0f} MB; {located} trips in a district; "
                f"target < {TARGET_S:.0f} s: {verdict}",
            ),
            (f"{backend}: baseline, orjson.loads of the same pages", parse_ms, "same run"),
        ],
    )
    assert seconds < TARGET_S
