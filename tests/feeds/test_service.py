"""Feeds use cases on both databases: registering, scoping, and polling end to end."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit_service
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput
from tartip.core.jobs import JobContext
from tartip.feeds import service
from tartip.feeds.enums import FeedHealth, PullOutcome
from tartip.feeds.models import CompanyGeofence, Feed, FeedPull
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Station, Vehicle, VehicleChange, VehicleType
from tests import builders
from tests.feeds.conftest import FakeServer, add_feed

FBS = "almaty-v2.3/free_bike_status.json"


def _scope(db: Session, city: City, role: Role, company: str | None = None):
    user = builders.make_user(
        db, city, username=f"{role.value}-{company or 'x'}", role=role, company_slug=company
    )
    return auth_service.scope_for(user, default_city_id=city.id)


def _vehicles(db: Session, feed: Feed) -> dict[str, Vehicle]:
    # The live state writes with bulk statements: reload rows the session may hold already.
    stmt = select(Vehicle).where(Vehicle.feed_id == feed.id)
    rows = db.scalars(stmt.execution_options(populate_existing=True))
    return {v.vehicle_id: v for v in rows}


def _pulls(db: Session, feed: Feed) -> list[FeedPull]:
    stmt = select(FeedPull).where(FeedPull.feed_id == feed.id).order_by(FeedPull.id)
    return list(db.scalars(stmt))


def _count(db: Session, model, feed: Feed, **where) -> int:
    stmt = select(func.count()).select_from(model).where(model.feed_id == feed.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(db.scalar(stmt) or 0)


# --- registering and reading -------------------------------------------------------------------


def test_supervisors_register_feeds_with_an_audit_entry(db: Session, city: City, jet: Company):
    scope = _scope(db, city, Role.supervisor)
    feed = service.register(db, scope=scope, company_id=jet.id, url=" https://jet.test/gbfs.json ")
    assert feed.url == "https://jet.test/gbfs.json"
    assert feed.health == FeedHealth.unknown and feed.next_poll_at is None
    (entry,) = audit_service.list_entries(db, city_id=city.id, entity_type="feed")
    assert (entry.action, entry.actor, entry.entity_id) == (
        "feed.register",
        scope.username,
        str(feed.id),
    )


def test_scouts_may_not_register_feeds(db: Session, city: City, jet: Company):
    with pytest.raises(Forbidden):
        service.register(
            db, scope=_scope(db, city, Role.scout), company_id=jet.id, url="https://a.test/g"
        )


@pytest.mark.parametrize("url", ["ftp://jet.test/gbfs.json", "jet.test/gbfs.json", "file:///etc/x"])
def test_only_absolute_http_urls_are_accepted(db: Session, city: City, jet: Company, url: str):
    with pytest.raises(InvalidInput) as caught:
        service.register(db, scope=None, company_id=jet.id, url=url)
    assert caught.value.problems[0].where == "url"


def test_the_same_url_twice_is_a_conflict(db: Session, city: City, jet: Company):
    add_feed(db, jet, "https://jet.test/gbfs.json")
    with pytest.raises(Conflict):
        add_feed(db, jet, "https://jet.test/gbfs.json")


def test_the_command_line_registers_as_cli(db: Session, city: City, jet: Company):
    add_feed(db, jet, "https://jet.test/gbfs.json")
    (entry,) = audit_service.list_entries(db, city_id=city.id, entity_type="feed")
    assert entry.actor == "cli" and entry.actor_user_id is None


def test_a_company_representative_sees_only_their_company_s_feeds(
    db: Session, city: City, jet: Company
):
    whoosh = builders.company(db, city, "whoosh")
    mine = add_feed(db, jet, "https://jet.test/gbfs.json")
    theirs = add_feed(db, whoosh, "https://whoosh.test/gbfs.json")
    rep = _scope(db, city, Role.company_rep, "jet")
    assert [f.id for f in service.list_feeds(db, scope=rep)] == [mine.id]
    assert service.get(db, scope=rep, feed_id=theirs.id) is None
    staff = _scope(db, city, Role.scout)
    assert {f.id for f in service.list_feeds(db, scope=staff)} == {mine.id, theirs.id}


def test_ensure_feed_re_points_a_seeded_feed(db: Session, city: City, jet: Company):
    first = service.ensure_feed(
        db, city_id=city.id, company_id=jet.id, url="http://127.0.0.1:8100/jet/gbfs.json"
    )
    first.feed_urls = {"gbfs": first.url}
    again = service.ensure_feed(
        db, city_id=city.id, company_id=jet.id, url="http://127.0.0.1:8200/jet/gbfs.json"
    )
    assert again.id == first.id
    assert again.url.endswith(":8200/jet/gbfs.json") and again.feed_urls == {}


# --- polling -----------------------------------------------------------------------------------


def test_a_poll_stores_vehicles_types_stations_zones_and_pulls(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url("almaty-v2.3/gbfs.json"))
    now = utcnow()
    server.put_fresh(FBS, now)
    result = service.poll(db, ctx=ctx, feed=feed, now=now)

    assert (result.health, result.outcome, result.pulls) == (FeedHealth.up, PullOutcome.ok, 7)
    vehicles = _vehicles(db, feed)
    assert set(vehicles) == {"jet-a1", "jet-a2", "jet-a3", "jet-a9"}
    assert vehicles["jet-a2"].status == VehicleStatus.reserved
    assert vehicles["jet-a3"].status == VehicleStatus.disabled
    assert vehicles["jet-a1"].current_range_meters == 21000.0
    assert vehicles["jet-a9"].station_id == "hub-arbat"
    assert _count(db, VehicleChange, feed, kind=ChangeKind.appeared) == 4
    assert (feed.version, feed.vehicle_count, feed.consecutive_failures) == ("2.3", 4, 0)
    assert feed.next_poll_at == now + timedelta(seconds=10)  # the file's ttl
    assert feed.file_state["system_information"]["info"]["name"] == "Тестовый шеринг"
    assert _count(db, VehicleType, feed) == 2
    stations = {
        s.station_id: s for s in db.scalars(select(Station).where(Station.feed_id == feed.id))
    }
    assert stations["hub-arbat"].num_vehicles_available == 4 and stations["hub-arbat"].is_virtual
    zones = list(
        db.scalars(
            select(CompanyGeofence)
            .where(CompanyGeofence.feed_id == feed.id)
            .order_by(CompanyGeofence.id)
        )
    )
    assert [z.name for z in zones] == ["Арбат: без езды", "Парк: 10 км/ч"]
    assert zones[0].rules[0]["ride_end_allowed"] is False
    assert zones[0].geometry.geom_type == "MultiPolygon"
    pulls = {p.file: p for p in _pulls(db, feed)}
    vehicle_pull = pulls["free_bike_status"]
    assert (vehicle_pull.records, vehicle_pull.records_rejected, vehicle_pull.schema_problems) == (
        9,
        5,
        5,
    )
    problems = [(p["where"], p["message"]) for p in vehicle_pull.problems]
    assert ("data.bikes[5].lat", "latitude 95.0 is outside -90…90") in problems  # rejected
    assert ("data.bikes[5].lat", "95.0 is greater than the maximum of 90") in problems  # schema
    assert pulls["geofencing_zones"].records_rejected == 1


def test_old_data_makes_the_feed_stale_and_its_vehicles_stale(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    result = service.poll(db, ctx=ctx, feed=feed, now=utcnow())  # the fixture is from 2025
    assert result.health == FeedHealth.stale
    assert all(v.is_stale for v in _vehicles(db, feed).values())


def test_a_feed_going_down_keeps_its_vehicles_as_stale_until_it_recovers(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    t0 = utcnow()
    server.put_fresh(FBS, t0)
    service.poll(db, ctx=ctx, feed=feed, now=t0)
    before = {k: (v.lon, v.lat) for k, v in _vehicles(db, feed).items()}

    server.route(FBS, httpx.Response(503))
    once = service.poll(db, ctx=ctx, feed=feed, now=t0 + timedelta(seconds=10))
    assert (once.health, feed.consecutive_failures) == (FeedHealth.up, 1)
    assert feed.next_poll_at == t0 + timedelta(seconds=15)  # the minimum interval

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    server.route(FBS, timeout)
    twice = service.poll(db, ctx=ctx, feed=feed, now=t0 + timedelta(seconds=20))
    assert twice.health == FeedHealth.down
    assert feed.last_error == "free_bike_status: did not answer in time (reading timed out)"
    assert feed.next_poll_at == t0 + timedelta(seconds=30)  # backing off: twice the minimum
    kept = _vehicles(db, feed)
    assert {k: (v.lon, v.lat) for k, v in kept.items()} == before
    assert all(v.is_stale and v.in_feed for v in kept.values())
    assert _count(db, VehicleChange, feed, kind=ChangeKind.left_feed) == 0

    server.restore(FBS)
    server.put_fresh(FBS, t0 + timedelta(seconds=30))
    back = service.poll(db, ctx=ctx, feed=feed, now=t0 + timedelta(seconds=30))
    assert (back.health, feed.consecutive_failures, feed.last_error) == (FeedHealth.up, 0, None)
    assert not any(v.is_stale for v in _vehicles(db, feed).values())
    outcomes = [p.outcome for p in _pulls(db, feed)]
    assert outcomes == [PullOutcome.ok, PullOutcome.error, PullOutcome.error, PullOutcome.ok]


def test_malformed_json_is_a_logged_error_that_changes_no_vehicle(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    now = utcnow()
    server.put_fresh(FBS, now)
    service.poll(db, ctx=ctx, feed=feed, now=now)
    changes = _count(db, VehicleChange, feed)
    server.put(FBS, b'{"last_updated": 1, "data": {"bikes": [{"bike_id": "x",, }]}}')
    result = service.poll(db, ctx=ctx, feed=feed, now=now + timedelta(seconds=10))
    assert result.outcome is PullOutcome.error
    last = _pulls(db, feed)[-1]
    assert last.error == "invalid JSON at line 1 column 56: expected '\"'"
    assert last.http_status == 200 and last.outcome == PullOutcome.error
    assert _count(db, VehicleChange, feed) == changes
    assert all(v.in_feed for v in _vehicles(db, feed).values())


def test_an_html_error_page_is_a_clear_error(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    page = (server.root / "quirks" / "error_page.html").read_bytes()
    server.route(FBS, httpx.Response(200, content=page, headers={"content-type": "text/html"}))
    service.poll(db, ctx=ctx, feed=feed, now=utcnow())
    assert feed.last_error == "gbfs: answered with an HTML page (text/html), not JSON"
    assert _vehicles(db, feed) == {}


def test_unchanged_data_writes_nothing_but_the_pull(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    now = utcnow()
    server.put_fresh(FBS, now)
    service.poll(db, ctx=ctx, feed=feed, now=now)
    changes = _count(db, VehicleChange, feed)
    again = service.poll(db, ctx=ctx, feed=feed, now=now + timedelta(seconds=10))
    assert again.outcome is PullOutcome.not_modified and again.changes is None
    assert _pulls(db, feed)[-1].http_status == 304
    assert server.requests[-1].headers["if-none-match"]
    doc = server.doc(FBS)
    doc["data"]["bikes"][0]["current_fuel_percent"] = 0.1  # new ETag, same last_updated
    server.put(FBS, doc)
    third = service.poll(db, ctx=ctx, feed=feed, now=now + timedelta(seconds=20))
    assert third.outcome is PullOutcome.not_modified
    assert _pulls(db, feed)[-1].http_status == 200
    assert _count(db, VehicleChange, feed) == changes
    assert feed.health == FeedHealth.up


@pytest.mark.parametrize(("ttl", "seconds"), [(60, 60), (0, 5), (100_000, 300)])
def test_the_ttl_decides_the_next_poll_within_bounds(
    db: Session, jet: Company, ctx: JobContext, server: FakeServer, ttl: int, seconds: int
):
    feed = add_feed(db, jet, server.url(FBS))
    now = utcnow()
    server.put_fresh(FBS, now, ttl=ttl)
    service.poll(db, ctx=ctx, feed=feed, now=now)
    assert feed.next_poll_at == now + timedelta(seconds=seconds)


def test_an_oversized_answer_is_refused(
    db: Session, jet: Company, server: FakeServer, feed_settings
):
    settings = feed_settings.model_copy(update={"max_feed_bytes": 1000})
    ctx = JobContext(settings=settings, http=server.client(settings))
    feed = add_feed(db, jet, server.url(FBS))
    service.poll(db, ctx=ctx, feed=feed, now=utcnow())
    (pull,) = _pulls(db, feed)
    assert pull.error is not None and pull.error.endswith("over the 1,000-byte limit; not read")
    assert _vehicles(db, feed) == {}


def test_disabling_a_feed_keeps_its_vehicles_as_stale(
    db: Session, city: City, jet: Company, ctx: JobContext, server: FakeServer
):
    feed = add_feed(db, jet, server.url(FBS))
    now = utcnow()
    server.put_fresh(FBS, now)
    service.poll(db, ctx=ctx, feed=feed, now=now)
    scope = _scope(db, city, Role.supervisor)
    service.set_enabled(db, scope=scope, feed_id=feed.id, enabled=False)
    assert not feed.enabled
    assert all(v.is_stale for v in _vehicles(db, feed).values())
    actions = [
        e.action for e in audit_service.list_entries(db, city_id=city.id, entity_type="feed")
    ]
    assert actions[0] == "feed.update"
    assert service.due_feeds(db, city_id=city.id, now=now + timedelta(hours=1)) == []
