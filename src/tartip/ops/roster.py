"""Use cases of the roster: put a person on shift, move or change the shift, take it off.

Supervisors (and admins) keep the roster; field staff read their own shifts. Times are aware and
stored in UTC; the pages type and show them in city time. A shift staffing a mass event carries
the event's id only: ``events`` sits above ``ops``, so the id is checked against the event table
by its name (as the foreign key names it), never through the events domain.

Every refusal names the field it is about with one of the sentences below, so the pages can show
it, translated, next to that field; the API returns the same problems.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, column, func, select, table
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.ops import staff
from tartip.ops.models import Shift
from tartip.ops.schemas import ShiftCreate, ShiftUpdate
from tartip.ops.service import LEADS, is_field
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone

MAX_SHIFT = timedelta(hours=16)
ENDS_BEFORE_START = "The shift must end after it starts."
TOO_LONG = "A shift lasts at most 16 hours."
OVERLAPS = "This person already has a shift at that time."
NOT_STAFF = "Choose a member of field staff."
NOT_DUTY = "Choose duty zones of this city."
NO_EVENT = "No such mass event."
CANCELLED = "A cancelled shift cannot be changed."
PERSON_CHECKED_IN = "The person cannot change once they have checked in."
MESSAGES = (
    ENDS_BEFORE_START,
    TOO_LONG,
    OVERLAPS,
    NOT_STAFF,
    NOT_DUTY,
    NO_EVENT,
    CANCELLED,
    PERSON_CHECKED_IN,
)
# The event table as the shift's foreign key names it: enough to check an id belongs to the city.
_EVENTS = table("city_event", column("id"), column("city_id"))


def _person(db: Session, *, scope: Scope, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or user.city_id != scope.city_id or Role(user.role) not in staff.STAFF_ROLES:
        raise InvalidInput(
            f"no member of staff {user_id}", problems=[Problem("user_id", NOT_STAFF)]
        )
    return user


def _duty_zones(db: Session, *, city_id: int, zone_ids: list[int]) -> None:
    if not zone_ids:
        return
    stmt = select(Zone.id, Zone.kind).where(Zone.city_id == city_id, Zone.id.in_(zone_ids))
    kinds = {int(zid): kind for zid, kind in db.execute(stmt)}
    wrong = [z for z in zone_ids if kinds.get(z) != ZoneKind.duty]
    if wrong:
        raise InvalidInput(
            f"not duty zones of this city: {wrong}", problems=[Problem("zone_ids", NOT_DUTY)]
        )


def _event(db: Session, *, city_id: int, event_id: int | None) -> None:
    if event_id is None:
        return
    stmt = select(_EVENTS.c.id).where(_EVENTS.c.id == event_id, _EVENTS.c.city_id == city_id)
    if db.scalar(stmt) is None:
        raise InvalidInput(
            f"no mass event {event_id}", problems=[Problem("city_event_id", NO_EVENT)]
        )


def _times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(
            "the shift ends before it starts", problems=[Problem("ends_at", ENDS_BEFORE_START)]
        )
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidInput(
            "a shift lasts at most 16 hours", problems=[Problem("ends_at", TOO_LONG)]
        )


def _no_overlap(
    db: Session, *, user: User, starts_at: datetime, ends_at: datetime, other_than: int | None
) -> None:
    stmt = select(Shift.id).where(
        Shift.user_id == user.id,
        Shift.cancelled_at.is_(None),
        Shift.starts_at < ends_at,
        Shift.ends_at > starts_at,
    )
    if other_than is not None:
        stmt = stmt.where(Shift.id != other_than)
    overlap = db.scalars(stmt).first()
    if overlap is not None:
        raise Conflict(
            f"{user.username} already has shift {overlap} at that time",
            problems=[Problem("starts_at", OVERLAPS)],
        )


def create_shift(db: Session, *, scope: Scope, data: ShiftCreate) -> Shift:
    """Put a person on the roster (supervisors); ``city_event_id`` marks event duty."""
    scope.require(*LEADS)
    user = _person(db, scope=scope, user_id=data.user_id)
    _times(data.starts_at, data.ends_at)
    _duty_zones(db, city_id=scope.city_id, zone_ids=data.zone_ids)
    _event(db, city_id=scope.city_id, event_id=data.city_event_id)
    _no_overlap(db, user=user, starts_at=data.starts_at, ends_at=data.ends_at, other_than=None)
    shift = Shift(city_id=scope.city_id, **data.model_dump())
    db.add(shift)
    db.flush()
    staff.profile_for(db, user=user)
    staff.audit_shift(db, scope=scope, shift=shift, action="create", before=None)
    return shift


def get_shift_or_raise(db: Session, *, scope: Scope, shift_id: int) -> Shift:
    """A shift of the city (field staff: their own only), or ``NotFound``."""
    staff.require_staff(scope)
    shift = db.get(Shift, shift_id)
    if shift is None or shift.city_id != scope.city_id:
        raise NotFound(f"no shift {shift_id}")
    if is_field(scope) and shift.user_id != scope.user_id:
        raise NotFound(f"no shift {shift_id}")
    return shift


def _changes(data: ShiftUpdate) -> dict[str, Any]:
    """The fields an update sets; only the event may be set to null (event duty ends)."""
    given = data.model_dump(exclude_unset=True)
    return {k: v for k, v in given.items() if v is not None or k == "city_event_id"}


def update_shift(db: Session, *, scope: Scope, shift_id: int, data: ShiftUpdate) -> Shift:
    """Move a shift, give it to someone else, change its zones or event (supervisors).

    Everything is checked before the shift changes, so a refused update leaves it as it was.
    """
    scope.require(*LEADS)
    shift = get_shift_or_raise(db, scope=scope, shift_id=shift_id)
    if shift.cancelled_at is not None:
        raise Conflict(f"shift {shift.id} is cancelled", problems=[Problem("shift", CANCELLED)])
    changes = _changes(data)
    after = {**staff.shift_summary(shift), **changes}
    if after["user_id"] != shift.user_id and shift.checked_in_at is not None:
        raise Conflict(
            f"shift {shift.id} is checked in", problems=[Problem("user_id", PERSON_CHECKED_IN)]
        )
    user = _person(db, scope=scope, user_id=after["user_id"])
    starts_at = changes.get("starts_at", shift.starts_at)
    ends_at = changes.get("ends_at", shift.ends_at)
    _times(starts_at, ends_at)
    _duty_zones(db, city_id=scope.city_id, zone_ids=after["zone_ids"])
    _event(db, city_id=scope.city_id, event_id=after["city_event_id"])
    _no_overlap(db, user=user, starts_at=starts_at, ends_at=ends_at, other_than=shift.id)
    before = staff.shift_summary(shift)
    for name, value in changes.items():
        setattr(shift, name, value)
    db.flush()
    staff.audit_shift(db, scope=scope, shift=shift, action="update", before=before)
    return shift


def cancel_shift(db: Session, *, scope: Scope, shift_id: int) -> Shift:
    """Take a shift off the roster (supervisors); cancelling twice changes nothing."""
    scope.require(*LEADS)
    shift = get_shift_or_raise(db, scope=scope, shift_id=shift_id)
    if shift.cancelled_at is None:
        shift.cancelled_at = utcnow()
        staff.audit_shift(db, scope=scope, shift=shift, action="cancel", before=None)
    return shift


def list_shifts(
    db: Session,
    *,
    scope: Scope,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
    city_event_id: int | None = None,
    offset: int = 0,
    limit: int = 200,
) -> tuple[list[Shift], int]:
    """Shifts overlapping [since, until) (field staff: their own), by start, with the total."""
    staff.require_staff(scope)
    where: list[ColumnElement[bool]] = [Shift.city_id == scope.city_id]
    if until is not None:
        where.append(Shift.starts_at < until)
    if since is not None:
        where.append(Shift.ends_at > since)
    if is_field(scope):
        where.append(Shift.user_id == (scope.user_id or 0))
    elif user_id is not None:
        where.append(Shift.user_id == user_id)
    if city_event_id is not None:
        where.append(Shift.city_event_id == city_event_id)
    total = db.scalar(select(func.count()).select_from(Shift).where(*where)) or 0
    stmt = select(Shift).where(*where).order_by(Shift.starts_at, Shift.id)
    return list(db.scalars(stmt.offset(offset).limit(limit))), int(total)
