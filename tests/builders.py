"""Typed builders for the rows tests need: explicit, one function per thing."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.schemas import UserCreate
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.feeds.models import Feed
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle, VehicleChange

PASSWORD = "correct horse battery"


def make_almaty(db: Session) -> City:
    """Almaty and its three companies (Jet, Yandex Go, Whoosh)."""
    return cities_service.seed_almaty(db)


def company(db: Session, city: City, slug: str) -> Company:
    """One of the city's companies by slug."""
    found = cities_service.get_company(db, city_id=city.id, slug=slug)
    assert found is not None, slug
    return found


def make_user(
    db: Session,
    city: City,
    *,
    username: str,
    role: Role,
    company_slug: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A user of ``city``."""
    data = UserCreate(username=username, password=password, role=role, company_slug=company_slug)
    return auth_service.create(db, scope=None, city=city, data=data)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in through the login form (with its CSRF token)."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def token_for(db: Session, user: User) -> str:
    """An API token for ``user``."""
    scope = auth_service.scope_for(user, default_city_id=user.city_id or 0)
    _token, secret = auth_service.create_token(db, scope=scope, user=user, name="test")
    return secret


def make_feed(db: Session, company: Company, *, url: str | None = None) -> Feed:
    """A GBFS feed of ``company`` (never polled: health unknown)."""
    feed = Feed(
        city_id=company.city_id,
        company_id=company.id,
        url=url or f"https://gbfs.example/{company.slug}/{uuid.uuid4().hex[:8]}/gbfs.json",
    )
    db.add(feed)
    db.flush()
    return feed


def make_vehicle(
    db: Session,
    feed: Feed,
    *,
    lon: float,
    lat: float,
    vehicle_id: str | None = None,
    status: VehicleStatus = VehicleStatus.available,
    seen_at: datetime | None = None,
    is_stale: bool = False,
    in_feed: bool = True,
    fuel_percent: float | None = 0.8,
    range_meters: float | None = 24_000.0,
    vehicle_type_id: str | None = None,
) -> Vehicle:
    """A vehicle as the ingest would have stored it from ``feed``'s last snapshot."""
    seen = seen_at or utcnow()
    vehicle = Vehicle(
        city_id=feed.city_id,
        company_id=feed.company_id,
        feed_id=feed.id,
        vehicle_id=vehicle_id or f"v-{uuid.uuid4().hex[:12]}",
        vehicle_type_id=vehicle_type_id,
        lon=lon,
        lat=lat,
        status=status,
        current_fuel_percent=fuel_percent,
        current_range_meters=range_meters,
        last_reported=seen,
        first_seen_at=seen,
        last_seen_at=seen,
        in_feed=in_feed,
        is_stale=is_stale,
    )
    db.add(vehicle)
    db.flush()
    return vehicle


def make_vehicle_change(
    db: Session,
    vehicle: Vehicle,
    *,
    kind: ChangeKind,
    at: datetime,
    status: VehicleStatus | None = None,
    previous_status: VehicleStatus | None = None,
) -> VehicleChange:
    """One change in ``vehicle``'s history, at its current place."""
    change = VehicleChange(
        city_id=vehicle.city_id,
        company_id=vehicle.company_id,
        feed_id=vehicle.feed_id,
        vehicle_id=vehicle.vehicle_id,
        kind=kind,
        at=at,
        lon=vehicle.lon,
        lat=vehicle.lat,
        status=status or vehicle.status,
        previous_status=previous_status,
    )
    db.add(change)
    db.flush()
    return change
