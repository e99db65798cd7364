"""Mass events on both databases: template zones switching on and off by themselves, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden
from tartip.events import service as events_service
from tartip.events.enums import EventState
from tartip.events.schemas import CityEventCreate, CityEventPage, CityEventRead, CityEventUpdate
from tartip.zones import gbfs
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind, ZonePhase
from tests import builders
from tests.zones.helpers import scope

STADIUM = (76.924172, 43.238341)


def match(starts_at: datetime, **fields) -> CityEventCreate:
    return CityEventCreate(
        name="Kairat – Astana",
        venue_name="Central Stadium",
        venue_lon=STADIUM[0],
        venue_lat=STADIUM[1],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        margin_before_min=60,
        margin_after_min=30,
        **fields,
    )


def active_kinds(db: Session, city: City, at: datetime) -> list[ZoneKind]:
    return sorted(r.kind for r in zones_service.active_rules(db, city_id=city.id, at=at))


def test_an_events_zones_switch_on_and_off_at_their_times(db: Session, city: City):
    kickoff = utcnow() + timedelta(days=1)
    event = events_service.create(db, scope=scope(city), data=match(kickoff))
    links = events_service.list_zones(db, scope=scope(city), event_id=event.id)
    assert sorted(z.kind for _l, z in links) == [
        ZoneKind.no_parking,
        *[ZoneKind.parking] * 3,
        ZoneKind.slow,
    ]
    assert all(z.phase == ZonePhase.published for _l, z in links)

    assert active_kinds(db, city, kickoff - timedelta(minutes=61)) == []
    assert len(active_kinds(db, city, kickoff - timedelta(minutes=60))) == 5
    assert len(active_kinds(db, city, kickoff + timedelta(hours=2, minutes=29))) == 5
    assert active_kinds(db, city, kickoff + timedelta(hours=2, minutes=30)) == []


def test_the_template_puts_hubs_outside_the_perimeter_and_all_inside_the_slow_zone(
    db: Session, city: City
):
    event = events_service.create(db, scope=scope(city), data=match(utcnow() + timedelta(days=1)))
    zones = {
        z.code: z for _l, z in events_service.list_zones(db, scope=scope(city), event_id=event.id)
    }
    perimeter, slow = zones[f"EV{event.id}-PERIMETER"], zones[f"EV{event.id}-SLOW"]
    assert perimeter.area.contains(Point(*STADIUM))
    hubs = [z for z in zones.values() if z.kind == ZoneKind.parking]
    assert all(not h.area.intersects(perimeter.area) and slow.area.contains(h.area) for h in hubs)


def test_gbfs_shows_event_zones_only_during_the_event(db: Session, city: City):
    kickoff = utcnow() + timedelta(days=1)
    events_service.create(db, scope=scope(city), data=match(kickoff))
    rules = zones_service.in_force(db, city_id=city.id, at=utcnow() + timedelta(seconds=1))
    during = gbfs.geofencing_zones(rules, version="3.0", at=kickoff, language="ru")
    before = gbfs.geofencing_zones(
        rules, version="3.0", at=kickoff - timedelta(hours=3), language="ru"
    )
    assert len(during["data"]["geofencing_zones"]["features"]) == 5
    assert before["data"]["geofencing_zones"]["features"] == []


def test_moving_an_event_moves_its_zones(db: Session, city: City):
    kickoff = utcnow() + timedelta(days=1)
    event = events_service.create(db, scope=scope(city), data=match(kickoff))
    later = kickoff + timedelta(days=1)
    events_service.update(
        db, scope=scope(city), event_id=event.id,
        data=CityEventUpdate(starts_at=later, ends_at=later + timedelta(hours=2)),
    )  # fmt: skip
    assert active_kinds(db, city, kickoff) == []
    assert len(active_kinds(db, city, later)) == 5


def test_cancelling_an_event_retires_its_zones(db: Session, city: City):
    kickoff = utcnow() + timedelta(hours=3)
    event = events_service.create(db, scope=scope(city), data=match(kickoff))
    events_service.cancel(db, scope=scope(city), event_id=event.id)
    assert active_kinds(db, city, kickoff) == []
    assert events_service.state(event, at=utcnow()) is EventState.cancelled


def test_states_and_listing(db: Session, city: City):
    now = utcnow()
    events_service.create(
        db, scope=scope(city), data=match(now + timedelta(days=3), template=False)
    )
    events_service.create(
        db, scope=scope(city), data=match(now - timedelta(hours=1), template=False)
    )
    upcoming, _ = events_service.list_events(db, scope=scope(city), states=[EventState.upcoming])
    current, _ = events_service.list_events(db, scope=scope(city), states=[EventState.current])
    assert len(upcoming) == 1 and len(current) == 1


def test_only_supervisors_and_admins_plan_events(db: Session, city: City):
    for role in (Role.scout, Role.city_viewer, Role.company_rep):
        with pytest.raises(Forbidden):
            events_service.create(db, scope=scope(city, role), data=match(utcnow()))


def test_the_demo_seeds_one_upcoming_match(db: Session, city: City):
    first = events_service.seed_demo_event(db, city)
    again = events_service.seed_demo_event(db, city)
    assert first.id == again.id
    assert events_service.state(first, at=utcnow()) is EventState.upcoming
    kickoff_local = first.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Almaty"))
    assert kickoff_local.hour == 19


def test_events_api(app_client: TestClient, db: Session, city: City):
    sup = builders.make_user(db, city, username="ev-sup", role=Role.supervisor)
    rep = builders.make_user(db, city, username="ev-rep", role=Role.company_rep, company_slug="jet")
    headers = {"Authorization": f"Bearer {builders.token_for(db, sup)}"}
    body = match(datetime(2030, 5, 1, 14, 0, tzinfo=UTC)).model_dump(mode="json")
    created = app_client.post("/api/v1/events", json=body, headers=headers)
    assert created.status_code == 201, created.text
    event = CityEventRead.model_validate(created.json())
    assert len(event.zones) == 5 and event.state is EventState.upcoming
    assert event.zones_from == datetime(2030, 5, 1, 13, 0, tzinfo=UTC)

    rep_headers = {"Authorization": f"Bearer {builders.token_for(db, rep)}"}
    page = CityEventPage.model_validate(
        app_client.get("/api/v1/events", headers=rep_headers).json()
    )
    assert page.total == 1
    refused = app_client.post("/api/v1/events", json=body, headers=rep_headers)
    assert refused.status_code == 403
    cancelled = app_client.post(f"/api/v1/events/{event.id}/cancel", headers=headers)
    assert cancelled.json()["state"] == "cancelled"
