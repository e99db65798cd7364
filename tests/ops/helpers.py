"""Builders for field-operations tests: duty zones, violations, staff, shifts and tasks."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, Task
from tartip.zones import service as zones_service
from tartip.zones.models import Zone
from tartip.zones.schemas import ZoneCreate
from tests import builders

CENTRE = (76.9286, 43.2567)


def admin_scope(city: City) -> Scope:
    return Scope(user_id=None, username="test-admin", role=Role.admin, city_id=city.id)


def scope_of(user: User) -> Scope:
    return Scope(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        city_id=user.city_id or 0,
        company_id=user.company_id if user.role == Role.company_rep else None,
    )


def square(lon: float, lat: float, half: float = 0.004) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def make_duty_zone(
    db: Session,
    city: City,
    *,
    name: str | None = None,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
) -> Zone:
    scope = admin_scope(city)
    data = ZoneCreate(
        kind="duty",
        name=name or f"Duty {uuid.uuid4().hex[:6]}",
        code=f"D-{uuid.uuid4().hex[:6]}",
        geometry=square(lon, lat),
        target_load=10,
    )
    zone = zones_service.create(db, scope=scope, data=data)
    zones_service.publish(db, scope=scope, zone_id=zone.id, at=utcnow() - timedelta(minutes=1))
    return zone


def make_violation(
    db: Session,
    city: City,
    *,
    kind: ViolationKind = ViolationKind.clutter,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
    company_id: int | None = None,
    opened_at: datetime | None = None,
    by_company: dict[str, int] | None = None,
) -> Violation:
    key = f"{kind}:{uuid.uuid4().hex[:8]}"
    violation = Violation(
        city_id=city.id,
        kind=kind,
        key=key,
        open_key=key,
        company_id=company_id,
        count=5,
        max_count=5,
        lon=lon,
        lat=lat,
        vehicles=[
            {"id": 1, "vehicle_id": "jet-1", "company_id": company_id, "lon": lon, "lat": lat}
        ],
        evidence={"vehicles_total": 5, "by_company": by_company or {}, "zone_name": None},
        opened_at=opened_at or utcnow(),
        last_seen_at=utcnow(),
    )
    db.add(violation)
    db.flush()
    return violation


def make_staff(
    db: Session, city: City, role: Role = Role.scout, *, company_slug: str | None = None
) -> User:
    return builders.make_user(
        db,
        city,
        username=f"{role.value}-{uuid.uuid4().hex[:6]}",
        role=role,
        company_slug=company_slug,
    )


def make_shift(
    db: Session,
    city: City,
    user: User,
    *,
    zones: list[Zone] | None = None,
    checked_in: bool = True,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
) -> Shift:
    now = utcnow()
    shift = Shift(
        city_id=city.id,
        user_id=user.id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
        zone_ids=[z.id for z in zones or []],
        checked_in_at=now - timedelta(minutes=30) if checked_in else None,
        check_in_lon=lon if checked_in else None,
        check_in_lat=lat if checked_in else None,
    )
    db.add(shift)
    db.flush()
    return shift


def make_task(
    db: Session,
    city: City,
    *,
    scout: User | None = None,
    state: TaskState | None = None,
    company_ids: list[int] | None = None,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
    zone: Zone | None = None,
) -> Task:
    now = utcnow()
    task = Task(
        city_id=city.id,
        kind=TaskKind.tidy_cluster,
        origin=TaskOrigin.manual,
        state=state or (TaskState.assigned if scout else TaskState.new),
        title="Tidy the clutter",
        priority=3,
        lon=lon,
        lat=lat,
        zone_id=zone.id if zone else None,
        company_ids=company_ids or [],
        vehicles=[],
        scout_id=scout.id if scout else None,
        created_at=now,
        updated_at=now,
    )
    db.add(task)
    db.flush()
    return task


def jpeg_with_gps(width: int = 64, height: int = 48) -> bytes:
    """A small JPEG whose EXIF carries a GPS position and a camera model."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0110] = "Phone Model X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (43.0, 15.0, 20.0)
    gps[3] = "E"
    gps[4] = (76.0, 55.0, 40.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def csrf(client: TestClient) -> dict[str, str]:
    """The CSRF header of a signed-in session (read from a page's meta tag)."""
    page = client.get("/login")
    token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    return {"X-CSRF-Token": token}
