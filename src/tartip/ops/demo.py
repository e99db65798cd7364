"""The demo's field staff: simulated scouts on shift today in the duty zones, and the real demo
scout (``scout``) with a shift of their own, so a person can log in and work beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.schemas import UserCreate
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.ops import staff
from tartip.ops.enums import TravelMode
from tartip.ops.models import Shift, Team
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone

DEMO_PASSWORD = "scout-demo-1"
REAL_SCOUT = "scout"  # made by tartip.demo.seed_users; logs in as a real person would
ZONES_PER_SCOUT = 2


@dataclass(frozen=True)
class DemoScout:
    """A simulated demo scout."""

    username: str
    full_name: str
    travel_mode: TravelMode


DEMO_SCOUTS = (
    DemoScout("scout-aruzhan", "Аружан Сейтқали", TravelMode.e_bike),
    DemoScout("scout-dias", "Диас Нурланов", TravelMode.on_foot),
    DemoScout("scout-madina", "Мадина Ахметова", TravelMode.on_foot),
    DemoScout("scout-timur", "Тимур Жумабаев", TravelMode.e_bike),
    DemoScout("scout-aliya", "Алия Касымова", TravelMode.on_foot),
    DemoScout("scout-yerlan", "Ерлан Садыков", TravelMode.e_bike),
)


def shift_window(city: City, *, now: datetime) -> tuple[datetime, datetime]:
    """Today's demo shift in city time: 08:00–23:00, or the next eight hours late at night."""
    local = now.astimezone(ZoneInfo(city.timezone))
    start = local.replace(hour=8, minute=0, second=0, microsecond=0)
    end = local.replace(hour=23, minute=0, second=0, microsecond=0)
    if not start <= local < end - timedelta(hours=1):
        start, end = local - timedelta(minutes=30), local + timedelta(hours=8)
    return start, end


def _user(db: Session, city: City, scout: DemoScout) -> User:
    user = auth_service.get_by_username(db, username=scout.username)
    if user is None:
        data = UserCreate(
            username=scout.username,
            password=DEMO_PASSWORD,
            role=Role.scout,
            full_name=scout.full_name,
        )
        user = auth_service.create(db, scope=None, city=city, data=data)
    return user


def _team(db: Session, city: City) -> Team:
    team = db.scalars(select(Team).where(Team.city_id == city.id, Team.name == "Demo")).first()
    if team is None:
        team = Team(city_id=city.id, name="Demo")
        db.add(team)
        db.flush()
    return team


def _ensure_shift(
    db: Session, *, user: User, city: City, window: tuple[datetime, datetime], zone_ids: list[int]
) -> None:
    start, end = window
    overlapping = db.scalars(
        select(Shift.id).where(
            Shift.user_id == user.id,
            Shift.cancelled_at.is_(None),
            Shift.starts_at < end,
            Shift.ends_at > start,
        )
    ).first()
    if overlapping is None:
        db.add(
            Shift(city_id=city.id, user_id=user.id, starts_at=start, ends_at=end, zone_ids=zone_ids)
        )
        db.flush()


def seed_demo_staff(db: Session, city: City, *, now: datetime | None = None) -> list[User]:
    """Simulated scouts (and the real ``scout``) with shifts today in the duty zones; idempotent."""
    window = shift_window(city, now=now or utcnow())
    duty = list(
        db.scalars(
            select(Zone)
            .where(
                Zone.city_id == city.id,
                Zone.kind == ZoneKind.duty,
                Zone.phase == ZonePhase.published,
            )
            .order_by(Zone.id)
        )
    )
    team = _team(db, city)
    people: list[User] = []
    for i, scout in enumerate(DEMO_SCOUTS):
        user = _user(db, city, scout)
        zones = (
            [duty[(i * ZONES_PER_SCOUT + k) % len(duty)] for k in range(ZONES_PER_SCOUT)]
            if duty
            else []
        )
        profile = staff.profile_for(db, user=user)
        profile.simulated, profile.travel_mode, profile.team_id = True, scout.travel_mode, team.id
        if profile.last_lon is None and zones:
            centre = zones[0].area.centroid
            profile.last_lon, profile.last_lat, profile.last_seen_at = (
                centre.x,
                centre.y,
                now or utcnow(),
            )
        _ensure_shift(
            db, user=user, city=city, window=window, zone_ids=sorted({z.id for z in zones})
        )
        people.append(user)
    real = auth_service.get_by_username(db, username=REAL_SCOUT)
    if real is not None and real.city_id == city.id:
        profile = staff.profile_for(db, user=real)
        profile.team_id = team.id
        _ensure_shift(db, user=real, city=city, window=window, zone_ids=[z.id for z in duty[:3]])
        people.append(real)
    return people
