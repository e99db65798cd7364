"""Helpers of the compliance tests: published zones, vehicles parked a while ago, a staff scope."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.geo import geometry_to_geojson
from tartip.feeds.models import Feed
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.models import Vehicle
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone
from tartip.zones.schemas import ZoneCreate
from tests import builders


def staff_scope(city: City, role: Role = Role.supervisor) -> Scope:
    """A supervisor of ``city`` acting without a user row (as seeding does)."""
    return Scope(user_id=None, username="test-supervisor", role=role, city_id=city.id)


def publish_zone(
    db: Session,
    city: City,
    kind: ZoneKind,
    geometry: BaseGeometry,
    *,
    at: datetime,
    name: str | None = None,
    **fields: Any,
) -> Zone:
    """A zone published (in force) from ``at``."""
    scope = staff_scope(city)
    data = ZoneCreate.model_validate(
        {
            "kind": kind,
            "name": name or f"{kind.value} zone",
            "geometry": geometry_to_geojson(geometry),
            **fields,
        }
    )
    zone = zones_service.create(db, scope=scope, data=data)
    return zones_service.publish(db, scope=scope, zone_id=zone.id, at=at)


def park(
    db: Session,
    feed: Feed,
    point: tuple[float, float],
    *,
    since: datetime,
    status: VehicleStatus = VehicleStatus.available,
    vehicle_id: str | None = None,
) -> Vehicle:
    """A vehicle of ``feed`` standing at ``point`` since ``since``."""
    return builders.make_vehicle(
        db, feed, lon=point[0], lat=point[1], seen_at=since, status=status, vehicle_id=vehicle_id
    )


def leave(db: Session, vehicle: Vehicle) -> None:
    """The vehicle left its feed (a trip began)."""
    vehicle.in_feed = False
    db.flush()


@pytest.fixture
def feeds(db: Session, city: City) -> dict[str, Feed]:
    """One feed per Almaty company, by slug."""
    return {
        slug: builders.make_feed(db, builders.company(db, city, slug))
        for slug in ("jet", "yandex-go", "whoosh")
    }


MINUTE = timedelta(minutes=1)
