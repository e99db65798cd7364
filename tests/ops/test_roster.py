"""The roster and staff services: shifts checked before they change, stored in UTC, audited;
teams and profiles; only supervisors and admins change any of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TartipError
from tartip.events.models import CityEvent
from tartip.ops import roster, staff
from tartip.ops.enums import TravelMode
from tartip.ops.models import Shift
from tartip.ops.schemas import ShiftCreate, ShiftUpdate, StaffUpdate, TeamUpdate
from tests.conftest import unique
from tests.ops.helpers import admin_scope, make_duty_zone, make_staff, scope_of

ALMATY = ZoneInfo("Asia/Almaty")


def at_almaty(hour: int, *, days: int = 1, minute: int = 0) -> datetime:
    """A moment in city time, ``days`` from today."""
    day = datetime.now(ALMATY).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY)


def new_shift(user_id: int, start: int = 9, end: int = 18, **more: object) -> ShiftCreate:
    return ShiftCreate(user_id=user_id, starts_at=at_almaty(start), ends_at=at_almaty(end), **more)


def problem_of(error: TartipError) -> tuple[str, str]:
    [problem] = error.problems
    return problem.where, problem.message


def make_event(db: Session, city: City, name: str = "Match") -> CityEvent:
    event = CityEvent(
        city_id=city.id,
        name=name,
        venue_name="Central Stadium",
        venue_lon=76.924,
        venue_lat=43.238,
        starts_at=at_almaty(19),
        ends_at=at_almaty(21),
    )
    db.add(event)
    db.flush()
    return event


def audit_actions(db: Session, entity_type: str, entity_id: int) -> list[str]:
    stmt = select(AuditEntry.action).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id)
    )
    return list(db.scalars(stmt.order_by(AuditEntry.id)))


def test_a_shift_typed_in_city_time_is_stored_in_utc_and_audited(db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    zone = make_duty_zone(db, city, name="Arbat")
    event = make_event(db, city)
    shift = roster.create_shift(
        db,
        scope=scope_of(lead),
        data=new_shift(scout.id, zone_ids=[zone.id], city_event_id=event.id),
    )
    db.expire_all()
    stored = db.get(Shift, shift.id)
    assert stored is not None
    assert stored.starts_at.utcoffset() == timedelta(0)
    assert stored.starts_at == at_almaty(9) and stored.starts_at.hour == (9 - 5) % 24
    assert (stored.zone_ids, stored.city_event_id) == ([zone.id], event.id)
    assert audit_actions(db, "shift", shift.id) == ["shift.create"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(18, 9, roster.ENDS_BEFORE_START), (9, 9, roster.ENDS_BEFORE_START)],
)
def test_a_shift_must_end_after_it_starts(
    db: Session, city: City, start: int, end: int, message: str
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    with pytest.raises(InvalidInput) as refused:
        roster.create_shift(db, scope=scope_of(lead), data=new_shift(scout.id, start, end))
    assert problem_of(refused.value) == ("ends_at", message)


def test_a_shift_lasts_at_most_sixteen_hours(db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    data = ShiftCreate(
        user_id=scout.id, starts_at=at_almaty(6), ends_at=at_almaty(6) + timedelta(hours=17)
    )
    with pytest.raises(InvalidInput) as refused:
        roster.create_shift(db, scope=scope_of(lead), data=data)
    assert problem_of(refused.value) == ("ends_at", roster.TOO_LONG)


def test_one_person_cannot_have_two_shifts_at_once(db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    boss = scope_of(lead)
    first = roster.create_shift(db, scope=boss, data=new_shift(scout.id, 9, 18))
    with pytest.raises(Conflict) as refused:
        roster.create_shift(db, scope=boss, data=new_shift(scout.id, 17, 22))
    assert problem_of(refused.value) == ("starts_at", roster.OVERLAPS)
    back_to_back = roster.create_shift(db, scope=boss, data=new_shift(scout.id, 18, 22))
    roster.cancel_shift(db, scope=boss, shift_id=first.id)
    roster.create_shift(db, scope=boss, data=new_shift(scout.id, 10, 12))  # the place is free
    assert back_to_back.id != first.id


def test_zones_event_and_person_must_belong_to_the_city(db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    boss = scope_of(lead)
    other = City(
        slug=unique("city"),
        name="Elsewhere",
        timezone="Asia/Almaty",
        center_lon=71.4,
        center_lat=51.1,
    )
    db.add(other)
    db.flush()
    elsewhere = make_event(db, other, "Elsewhere")
    cases = [
        (new_shift(scout.id, zone_ids=[999_999]), ("zone_ids", roster.NOT_DUTY)),
        (new_shift(scout.id, city_event_id=elsewhere.id), ("city_event_id", roster.NO_EVENT)),
        (new_shift(scout.id, city_event_id=999_999), ("city_event_id", roster.NO_EVENT)),
        (new_shift(lead.id + 999_999), ("user_id", roster.NOT_STAFF)),
    ]
    rep = make_staff(db, city, Role.company_rep, company_slug="jet")
    cases.append((new_shift(rep.id), ("user_id", roster.NOT_STAFF)))
    for data, expected in cases:
        with pytest.raises(InvalidInput) as refused:
            roster.create_shift(db, scope=boss, data=data)
        assert problem_of(refused.value) == expected
    assert db.scalars(select(Shift).where(Shift.user_id == scout.id)).first() is None


def test_a_refused_update_leaves_the_shift_as_it_was(db: Session, city: City):
    lead, scout, other = (
        make_staff(db, city, Role.supervisor),
        make_staff(db, city),
        make_staff(db, city),
    )
    boss = scope_of(lead)
    shift = roster.create_shift(db, scope=boss, data=new_shift(scout.id, 9, 18))
    roster.create_shift(db, scope=boss, data=new_shift(other.id, 20, 23))
    with pytest.raises(InvalidInput):
        roster.update_shift(
            db, scope=boss, shift_id=shift.id, data=ShiftUpdate(ends_at=at_almaty(8))
        )
    with pytest.raises(Conflict) as clash:
        roster.update_shift(
            db,
            scope=boss,
            shift_id=shift.id,
            data=ShiftUpdate(user_id=other.id, ends_at=at_almaty(21)),
        )
    assert problem_of(clash.value) == ("starts_at", roster.OVERLAPS)
    db.expire_all()
    kept = db.get(Shift, shift.id)
    assert kept is not None and (kept.user_id, kept.ends_at) == (scout.id, at_almaty(18))
    assert audit_actions(db, "shift", shift.id) == ["shift.create"]


def test_a_shift_moves_changes_hands_and_leaves_event_duty(db: Session, city: City):
    lead, scout, other = (
        make_staff(db, city, Role.supervisor),
        make_staff(db, city),
        make_staff(db, city),
    )
    boss = scope_of(lead)
    zone = make_duty_zone(db, city)
    event = make_event(db, city)
    shift = roster.create_shift(
        db, scope=boss, data=new_shift(scout.id, 9, 18, city_event_id=event.id)
    )
    moved = roster.update_shift(
        db,
        scope=boss,
        shift_id=shift.id,
        data=ShiftUpdate(
            user_id=other.id,
            starts_at=at_almaty(10),
            ends_at=at_almaty(19),
            zone_ids=[zone.id],
            city_event_id=None,
            note="swapped",
        ),
    )
    assert (moved.user_id, moved.starts_at, moved.zone_ids) == (other.id, at_almaty(10), [zone.id])
    assert moved.city_event_id is None and moved.note == "swapped"
    # Its own time never overlaps itself.
    roster.update_shift(db, scope=boss, shift_id=shift.id, data=ShiftUpdate(ends_at=at_almaty(20)))
    assert audit_actions(db, "shift", shift.id) == ["shift.create", "shift.update", "shift.update"]


def test_a_checked_in_shift_keeps_its_person_and_a_cancelled_one_stays_cancelled(
    db: Session, city: City
):
    lead, scout, other = (
        make_staff(db, city, Role.supervisor),
        make_staff(db, city),
        make_staff(db, city),
    )
    boss = scope_of(lead)
    shift = roster.create_shift(db, scope=boss, data=new_shift(scout.id))
    shift.checked_in_at = utcnow()
    with pytest.raises(Conflict) as refused:
        roster.update_shift(db, scope=boss, shift_id=shift.id, data=ShiftUpdate(user_id=other.id))
    assert problem_of(refused.value) == ("user_id", roster.PERSON_CHECKED_IN)
    cancelled = roster.cancel_shift(db, scope=boss, shift_id=shift.id)
    assert roster.cancel_shift(db, scope=boss, shift_id=shift.id).cancelled_at == (
        cancelled.cancelled_at
    )
    with pytest.raises(Conflict) as again:
        roster.update_shift(db, scope=boss, shift_id=shift.id, data=ShiftUpdate(note="x"))
    assert problem_of(again.value) == ("shift", roster.CANCELLED)
    assert audit_actions(db, "shift", shift.id) == ["shift.create", "shift.cancel"]


@pytest.mark.parametrize("role", [Role.scout, Role.technician, Role.company_rep, Role.city_viewer])
def test_only_supervisors_and_admins_change_staff_teams_and_shifts(
    db: Session, city: City, role: Role
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    shift = roster.create_shift(db, scope=scope_of(lead), data=new_shift(scout.id))
    team = staff.create_team(db, scope=scope_of(lead), name="Centre")
    slug = "jet" if role is Role.company_rep else None
    caller = scope_of(make_staff(db, city, role, company_slug=slug))
    attempts = [
        lambda: roster.create_shift(db, scope=caller, data=new_shift(scout.id, 19, 22)),
        lambda: roster.update_shift(
            db, scope=caller, shift_id=shift.id, data=ShiftUpdate(note="mine")
        ),
        lambda: roster.cancel_shift(db, scope=caller, shift_id=shift.id),
        lambda: staff.create_team(db, scope=caller, name="Rogue"),
        lambda: staff.update_team(db, scope=caller, team_id=team.id, data=TeamUpdate(name="Rogue")),
        lambda: staff.update_staff(
            db, scope=caller, user_id=scout.id, data=StaffUpdate(phone="+7 701 000 00 00")
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert shift.cancelled_at is None and shift.note == "" and team.name == "Centre"
    admin = admin_scope(city)
    roster.update_shift(db, scope=admin, shift_id=shift.id, data=ShiftUpdate(note="by admin"))
    assert shift.note == "by admin"


def test_field_staff_read_only_their_own_shifts(db: Session, city: City):
    lead, mine, theirs = (
        make_staff(db, city, Role.supervisor),
        make_staff(db, city),
        make_staff(db, city),
    )
    boss = scope_of(lead)
    own = roster.create_shift(db, scope=boss, data=new_shift(mine.id))
    other = roster.create_shift(db, scope=boss, data=new_shift(theirs.id))
    me = scope_of(mine)
    shifts, total = roster.list_shifts(db, scope=me)
    assert [s.id for s in shifts] == [own.id] and total == 1
    with pytest.raises(NotFound):
        roster.get_shift_or_raise(db, scope=me, shift_id=other.id)
    rep = scope_of(make_staff(db, city, Role.company_rep, company_slug="jet"))
    with pytest.raises(Forbidden):
        roster.list_shifts(db, scope=rep)


def test_teams_are_named_once_and_profiles_keep_their_travel_mode(db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    boss = scope_of(lead)
    centre = staff.create_team(db, scope=boss, name="Centre")
    medeu = staff.create_team(db, scope=boss, name="Medeu")
    with pytest.raises(Conflict) as taken:
        staff.update_team(db, scope=boss, team_id=medeu.id, data=TeamUpdate(name=" Centre "))
    assert problem_of(taken.value) == ("name", staff.TEAM_EXISTS)
    with pytest.raises(Conflict):
        staff.create_team(db, scope=boss, name="Centre")
    renamed = staff.update_team(db, scope=boss, team_id=medeu.id, data=TeamUpdate(name="Medeu 2"))
    assert renamed.name == "Medeu 2"
    assert audit_actions(db, "team", medeu.id) == ["team.create", "team.update"]
    row = staff.update_staff(
        db,
        scope=boss,
        user_id=scout.id,
        data=StaffUpdate(team_id=centre.id, travel_mode=TravelMode.e_bike, phone=" +7 701 "),
    )
    assert (row.profile.team_id, row.profile.travel_mode, row.profile.phone) == (
        centre.id,
        TravelMode.e_bike,
        "+7 701",
    )
    row = staff.update_staff(
        db,
        scope=boss,
        user_id=scout.id,
        data=StaffUpdate.model_validate({"team_id": None, "travel_mode": None, "phone": ""}),
    )
    assert (row.profile.team_id, row.profile.travel_mode, row.profile.phone) == (
        None,
        TravelMode.e_bike,
        None,
    )
    with pytest.raises(InvalidInput) as unknown:
        staff.update_staff(db, scope=boss, user_id=scout.id, data=StaffUpdate(team_id=999_999))
    assert problem_of(unknown.value) == ("team_id", staff.NO_TEAM)


def test_duty_zones_near_a_venue(db: Session, city: City):
    near = make_duty_zone(db, city, name="Stadium", lon=76.924, lat=43.238)
    make_duty_zone(db, city, name="Medeu", lon=77.05, lat=43.16)
    found = staff.duty_zones_near(
        db, scope=admin_scope(city), lon=76.9245, lat=43.2385, radius_m=600
    )
    assert [z.id for z in found] == [near.id]
