"""Use cases of staff: profiles, teams, check-in/out, positions, duty zones and their coverage.

Supervisors (and admins) keep teams and profiles; a scout checks in and out of their own shift and
reports their position. The roster itself (making, moving, cancelling shifts) is ``roster.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from tartip.core.geo import geometry_to_geojson
from tartip.ops.enums import CoverageState, TravelMode
from tartip.ops.models import Shift, StaffProfile, Team
from tartip.ops.schemas import CheckIn, StaffUpdate, TeamUpdate
from tartip.ops.service import FIELD_ROLES, LEADS, is_field, moment
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.geometry import disc
from tartip.zones.models import Zone

STAFF_ROLES = (Role.supervisor, Role.scout, Role.technician)
TEAM_EXISTS = "A team with this name exists."
NO_TEAM = "Choose a team of this city."
MESSAGES = (TEAM_EXISTS, NO_TEAM)


def require_staff(scope: Scope) -> None:
    """Raise ``Forbidden`` unless the caller works for the unified operator."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff see the roster")


def list_teams(db: Session, *, scope: Scope) -> list[Team]:
    """The city's teams, by name."""
    require_staff(scope)
    stmt = select(Team).where(Team.city_id == scope.city_id).order_by(Team.name)
    return list(db.scalars(stmt))


def _team_name_free(db: Session, *, city_id: int, name: str, other_than: int | None) -> None:
    stmt = select(Team.id).where(Team.city_id == city_id, Team.name == name)
    if other_than is not None:
        stmt = stmt.where(Team.id != other_than)
    if db.scalars(stmt).first() is not None:
        raise Conflict(f"team {name!r} exists", problems=[Problem("name", TEAM_EXISTS)])


def create_team(db: Session, *, scope: Scope, name: str) -> Team:
    """Create a team (supervisors)."""
    scope.require(*LEADS)
    _team_name_free(db, city_id=scope.city_id, name=name.strip(), other_than=None)
    team = Team(city_id=scope.city_id, name=name.strip())
    db.add(team)
    db.flush()
    audit.record(
        db, actor=scope.actor, action="team.create", entity_type="team", entity_id=team.id,
        city_id=scope.city_id, after={"name": team.name},
    )  # fmt: skip
    return team


def get_team_or_raise(db: Session, *, scope: Scope, team_id: int) -> Team:
    """A team of the caller's city, or ``NotFound``."""
    require_staff(scope)
    team = db.get(Team, team_id)
    if team is None or team.city_id != scope.city_id:
        raise NotFound(f"no team {team_id}")
    return team


def update_team(db: Session, *, scope: Scope, team_id: int, data: TeamUpdate) -> Team:
    """Rename a team (supervisors)."""
    scope.require(*LEADS)
    team = get_team_or_raise(db, scope=scope, team_id=team_id)
    name = data.name.strip()
    _team_name_free(db, city_id=scope.city_id, name=name, other_than=team.id)
    before = {"name": team.name}
    team.name = name
    audit.record(
        db, actor=scope.actor, action="team.update", entity_type="team", entity_id=team.id,
        city_id=scope.city_id, before=before, after={"name": team.name},
    )  # fmt: skip
    return team


def profile_for(db: Session, *, user: User) -> StaffProfile:
    """A person's field profile, made with defaults the first time it is asked for."""
    profile = db.scalars(select(StaffProfile).where(StaffProfile.user_id == user.id)).first()
    if profile is None:
        profile = StaffProfile(
            city_id=user.city_id or 0, user_id=user.id, travel_mode=TravelMode.on_foot
        )
        db.add(profile)
        db.flush()
    return profile


def _staff_user(db: Session, *, scope: Scope, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or user.city_id != scope.city_id or Role(user.role) not in STAFF_ROLES:
        raise NotFound(f"no member of staff {user_id}")
    return user


@dataclass(frozen=True)
class StaffRow:
    """A member of staff with their profile and whether they are on shift and checked in now."""

    user: User
    profile: StaffProfile
    shift: Shift | None


def list_staff(db: Session, *, scope: Scope, at: datetime | None = None) -> list[StaffRow]:
    """The city's field staff with their profiles and current shifts."""
    require_staff(scope)
    at = at or utcnow()
    users = db.scalars(
        select(User)
        .where(User.city_id == scope.city_id, User.role.in_([r.value for r in STAFF_ROLES]))
        .order_by(User.full_name, User.username)
    )
    current = {s.user_id: s for s in current_shifts(db, city_id=scope.city_id, at=at)}
    return [StaffRow(u, profile_for(db, user=u), current.get(u.id)) for u in users]


def get_staff(db: Session, *, scope: Scope, user_id: int) -> StaffRow:
    """One member of staff (field staff may read only themselves)."""
    if is_field(scope) and scope.user_id != user_id:
        raise NotFound(f"no member of staff {user_id}")
    require_staff(scope)
    user = _staff_user(db, scope=scope, user_id=user_id)
    current = {s.user_id: s for s in current_shifts(db, city_id=scope.city_id, at=utcnow())}
    return StaffRow(user, profile_for(db, user=user), current.get(user.id))


def update_staff(db: Session, *, scope: Scope, user_id: int, data: StaffUpdate) -> StaffRow:
    """Change a person's team, travel mode or phone (supervisors)."""
    scope.require(*LEADS)
    user = _staff_user(db, scope=scope, user_id=user_id)
    profile = profile_for(db, user=user)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("travel_mode", TravelMode.on_foot) is None:
        del changes["travel_mode"]  # every person moves somehow: null changes nothing
    if "phone" in changes:
        changes["phone"] = (changes["phone"] or "").strip() or None
    if changes.get("team_id") is not None:
        team = db.get(Team, changes["team_id"])
        if team is None or team.city_id != scope.city_id:
            raise InvalidInput("no such team", problems=[Problem("team_id", NO_TEAM)])
    before = {k: getattr(profile, k) for k in changes}
    for name, value in changes.items():
        setattr(profile, name, value)
    audit.record(
        db, actor=scope.actor, action="staff.update", entity_type="user", entity_id=user.id,
        city_id=scope.city_id, before=before, after=changes,
    )  # fmt: skip
    return get_staff(db, scope=scope, user_id=user_id)


def current_shifts(db: Session, *, city_id: int, at: datetime) -> list[Shift]:
    """The shifts running at ``at`` (not cancelled)."""
    stmt = select(Shift).where(
        Shift.city_id == city_id,
        Shift.starts_at <= at,
        Shift.ends_at > at,
        Shift.cancelled_at.is_(None),
    )
    return list(db.scalars(stmt.order_by(Shift.starts_at, Shift.id)))


def shift_summary(shift: Shift) -> dict[str, Any]:
    """A shift as the audit trail records it."""
    return {
        "user_id": shift.user_id,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "zone_ids": list(shift.zone_ids),
        "city_event_id": shift.city_event_id,
        "note": shift.note,
    }


def audit_shift(db: Session, *, scope: Scope, shift: Shift, action: str, before: Any) -> None:
    """Write a person's change to a shift (``shift.<action>``) to the audit trail."""
    audit.record(
        db, actor=scope.actor, action=f"shift.{action}", entity_type="shift", entity_id=shift.id,
        city_id=shift.city_id, before=before, after=shift_summary(shift),
    )  # fmt: skip


def my_shift(db: Session, *, scope: Scope, at: datetime | None = None) -> Shift | None:
    """The caller's shift now, else their next one today (or the one they have not closed)."""
    at = at or utcnow()
    stmt = (
        select(Shift)
        .where(
            Shift.city_id == scope.city_id,
            Shift.user_id == (scope.user_id or 0),
            Shift.cancelled_at.is_(None),
            Shift.ends_at > at,
        )
        .order_by(Shift.starts_at)
    )
    upcoming = db.scalars(stmt).first()
    if upcoming is not None and (upcoming.starts_at - at).total_seconds() < 18 * 3600:
        return upcoming
    return None


def _position(
    db: Session, *, scope: Scope, lon: float | None, lat: float | None, at: datetime
) -> None:
    if lon is None or lat is None or scope.user_id is None:
        return
    user = db.get(User, scope.user_id)
    if user is None:
        return
    profile = profile_for(db, user=user)
    if profile.last_seen_at is None or profile.last_seen_at <= at:
        profile.last_lon, profile.last_lat, profile.last_seen_at = lon, lat, at


def report_position(db: Session, *, scope: Scope, data: CheckIn) -> None:
    """Keep the caller's last known position (the console shows it)."""
    if scope.role not in FIELD_ROLES and scope.role is not Role.supervisor:
        raise Forbidden("only field staff report a position")
    _position(db, scope=scope, lon=data.lon, lat=data.lat, at=moment(data.at))


def check_in(db: Session, *, scope: Scope, data: CheckIn) -> Shift:
    """Check in to the caller's current shift, where the phone is."""
    shift = my_shift(db, scope=scope)
    if shift is None:
        raise Conflict("you have no shift now")
    if shift.checked_in_at is not None and shift.checked_out_at is None:
        return shift  # a second tap (or a replayed action) changes nothing
    at = moment(data.at)
    shift.checked_in_at, shift.checked_out_at = at, None
    shift.check_in_lon, shift.check_in_lat = data.lon, data.lat
    _position(db, scope=scope, lon=data.lon, lat=data.lat, at=at)
    audit_shift(db, scope=scope, shift=shift, action="check_in", before=None)
    return shift


def check_out(db: Session, *, scope: Scope, data: CheckIn) -> Shift:
    """Check out of the caller's shift."""
    shift = my_shift(db, scope=scope)
    if shift is None or shift.checked_in_at is None:
        raise Conflict("you are not checked in")
    if shift.checked_out_at is not None:
        return shift
    at = moment(data.at)
    shift.checked_out_at = at
    shift.check_out_lon, shift.check_out_lat = data.lon, data.lat
    _position(db, scope=scope, lon=data.lon, lat=data.lat, at=at)
    audit_shift(db, scope=scope, shift=shift, action="check_out", before=None)
    return shift


def duty_zones(db: Session, *, scope: Scope) -> list[Zone]:
    """The city's published duty zones, by name: what a shift may watch."""
    zones, _n = zones_service.list_zones(
        db, scope=scope, kinds=[ZoneKind.duty], phases=[ZonePhase.published]
    )
    return sorted(zones, key=lambda z: (z.name, z.id))


def duty_zones_near(
    db: Session, *, scope: Scope, lon: float, lat: float, radius_m: float
) -> list[Zone]:
    """Published duty zones within ``radius_m`` of a place (a venue's surroundings)."""
    around = disc(lon, lat, radius_m)
    return [z for z in duty_zones(db, scope=scope) if z.area.intersects(around)]


@dataclass(frozen=True)
class ZoneCoverage:
    """A duty zone and who watches it now."""

    zone: Zone
    state: CoverageState
    scouts: list[str]

    @property
    def geometry(self) -> dict[str, Any]:
        """The zone's area as GeoJSON."""
        return geometry_to_geojson(self.zone.area)


def coverage(db: Session, *, scope: Scope, at: datetime | None = None) -> list[ZoneCoverage]:
    """Every published duty zone: covered (someone checked in), expected, or uncovered."""
    if not scope.watches_operations:
        raise Forbidden("only the unified operator's staff and the city see duty-zone coverage")
    at = at or utcnow()
    zones = duty_zones(db, scope=scope)
    shifts = current_shifts(db, city_id=scope.city_id, at=at)
    names = _names(db, [s.user_id for s in shifts])
    out = []
    for zone in zones:
        here = [s for s in shifts if zone.id in s.zone_ids]
        present = [s for s in here if s.checked_in_at is not None and s.checked_out_at is None]
        if present:
            state = CoverageState.covered
        else:
            state = CoverageState.expected if here else CoverageState.uncovered
        out.append(ZoneCoverage(zone, state, [names.get(s.user_id, "?") for s in present or here]))
    order = {CoverageState.uncovered: 0, CoverageState.expected: 1, CoverageState.covered: 2}
    return sorted(out, key=lambda c: (order[c.state], c.zone.name))


def _names(db: Session, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    stmt = select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
    return {uid: full or name for uid, full, name in db.execute(stmt)}


def display_names(db: Session, user_ids: list[int]) -> dict[int, str]:
    """People's display names by id (their full name, else their username)."""
    return _names(db, sorted(set(user_ids)))


def zone_names(db: Session, *, city_id: int, zone_ids: list[int]) -> dict[int, str]:
    """Zone names by id."""
    if not zone_ids:
        return {}
    stmt = select(Zone.id, Zone.name).where(Zone.city_id == city_id, Zone.id.in_(set(zone_ids)))
    return {int(zid): str(name) for zid, name in db.execute(stmt)}
