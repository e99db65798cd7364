"""A city where two companies have everything a portal shows: Jet (ours) and Whoosh (the rival).

Whoosh's rows carry the marker ``RIVAL-W`` in every text a page or an answer could show, so a
test finds a leak by searching for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.core.geo import geometry_to_geojson
from tartip.feeds.enums import FeedHealth, PullOutcome
from tartip.feeds.models import Feed, FeedPull
from tartip.fleet.enums import VehicleStatus
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone
from tartip.zones.schemas import ZoneCreate
from tests import builders

RIVAL = "RIVAL-W"
OWN = "OWN-J"
LON, LAT = 76.945, 43.238  # central Almaty


@dataclass
class Side:
    """One company's rows."""

    company: Company
    feed: Feed
    rep: User
    violations: list[Violation] = field(default_factory=list)
    closed: list[Violation] = field(default_factory=list)
    zone: Zone | None = None

    @property
    def ids(self) -> dict[str, list[int]]:
        """This company's row ids by kind, for path parameters."""
        return {
            "violation": [v.id for v in self.violations + self.closed],
            "feed": [self.feed.id],
            "company": [self.company.id],
            "zone": [self.zone.id] if self.zone else [],
            "user": [self.rep.id],
        }


@dataclass
class World:
    """Jet (``own``) and Whoosh (``rival``), and a zone that binds both."""

    city: City
    own: Side
    rival: Side
    shared_zone: Zone

    @property
    def rival_markers(self) -> set[str]:
        """Strings that show only if Whoosh's rows leak."""
        return {RIVAL, self.rival.company.name, self.rival.feed.url}


def staff(city: City) -> Scope:
    """A supervisor acting without a user row (as seeding does)."""
    return Scope(user_id=None, username="test-supervisor", role=Role.supervisor, city_id=city.id)


def publish(db: Session, city: City, data: dict[str, object], *, at: datetime) -> Zone:
    """A zone published from ``at``."""
    zone = zones_service.create(db, scope=staff(city), data=ZoneCreate.model_validate(data))
    return zones_service.publish(db, scope=staff(city), zone_id=zone.id, at=at)


def make_violation(
    db: Session,
    company: Company,
    *,
    tag: str,
    kind: ViolationKind,
    lon: float,
    lat: float,
    opened_at: datetime,
    closed_at: datetime | None = None,
) -> Violation:
    """A violation of ``company``'s vehicles, with one vehicle as evidence named after ``tag``."""
    key = f"{kind}:{tag}:{opened_at.timestamp()}"
    violation = Violation(
        city_id=company.city_id,
        kind=kind,
        key=key,
        open_key=None if closed_at else key,
        company_id=company.id,
        count=1,
        max_count=1,
        lon=lon,
        lat=lat,
        vehicles=[
            {
                "id": 0,
                "vehicle_id": f"{tag}-veh-1",
                "company_id": company.id,
                "lon": lon,
                "lat": lat,
                "parked_since": opened_at.isoformat(),
            }
        ],
        evidence={"zone_name": f"{tag} corner", "vehicles_total": 1},
        first_seen_at=opened_at,
        opened_at=opened_at,
        last_seen_at=closed_at or utcnow(),
        closed_at=closed_at,
    )
    db.add(violation)
    db.flush()
    return violation


def _side(db: Session, city: City, slug: str, tag: str, lon: float) -> Side:
    company = builders.company(db, city, slug)
    feed = builders.make_feed(db, company, url=f"https://gbfs.example/{tag}/gbfs.json")
    feed.health, feed.last_error = FeedHealth.down, f"{tag} timed out"
    feed.last_success_at, feed.vehicle_count = utcnow() - timedelta(minutes=3), 3
    for i, status in enumerate(
        (VehicleStatus.available, VehicleStatus.available, VehicleStatus.disabled)
    ):
        builders.make_vehicle(
            db, feed, vehicle_id=f"{tag}-v{i}", lon=lon + i / 1000, lat=LAT, status=status
        )
    db.add(
        FeedPull(
            city_id=city.id,
            feed_id=feed.id,
            file="vehicle_status",
            url=f"https://gbfs.example/{tag}/vehicle_status.json",
            started_at=utcnow() - timedelta(minutes=1),
            outcome=PullOutcome.ok,
            http_status=200,
            records=3,
            records_rejected=1,
            schema_problems=1,
            problems=[{"where": f"data.vehicles[2] ({tag})", "message": "lat is required"}],
        )
    )
    rep = builders.make_user(
        db, city, username=f"rep-{slug}", role=Role.company_rep, company_slug=slug
    )
    now = utcnow()
    side = Side(company=company, feed=feed, rep=rep)
    side.violations = [
        make_violation(
            db, company, tag=tag, kind=kind, lon=lon, lat=LAT, opened_at=now - timedelta(hours=h)
        )
        for kind, h in ((ViolationKind.no_parking, 2), (ViolationKind.parked_too_long, 1))
    ]
    side.closed = [
        make_violation(
            db,
            company,
            tag=tag,
            kind=ViolationKind.no_ride,
            lon=lon,
            lat=LAT,
            opened_at=now - timedelta(days=2),
            closed_at=now - timedelta(days=1),
        )
    ]
    return side


@pytest.fixture
def world(db: Session, city: City) -> World:
    """Jet and Whoosh with feeds, vehicles, violations, reps, and zones of their own and shared."""
    own = _side(db, city, "jet", OWN, LON)
    rival = _side(db, city, "whoosh", RIVAL, LON + 0.01)
    at = utcnow() - timedelta(hours=1)

    def square(lon: float, name: str, **fields: object) -> dict[str, object]:
        shape = box(lon - 0.002, LAT - 0.002, lon + 0.002, LAT + 0.002)
        return {"name": name, "geometry": geometry_to_geojson(shape), **fields}

    shared = publish(
        db, city, {"kind": ZoneKind.no_parking, **square(LON, "Panfilov St no parking")}, at=at
    )
    own.zone = publish(
        db,
        city,
        {
            "kind": ZoneKind.slow,
            "speed_limit_kph": 10,
            "companies": ["jet"],
            **square(LON + 0.005, f"{OWN} slow lane"),
        },
        at=at,
    )
    rival.zone = publish(
        db,
        city,
        {
            "kind": ZoneKind.parking,
            "capacity": 20,
            "companies": ["whoosh"],
            "fleet_caps": {"whoosh": 7},
            # Zone names are public (MDS Geography): no marker here, the id tells it apart.
            **square(LON + 0.01, "Abay Ave hub"),
        },
        at=at,
    )
    db.flush()
    return World(city=city, own=own, rival=rival, shared_zone=shared)
