"""The JSON API of staff and shifts: teams, profiles, the roster, check-in/out, coverage, live.

Mounted by ``ops/api.py`` (one router for the ops domain).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from tartip.cities import service as cities_service
from tartip.core.errors import NotFound
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging
from tartip.ops import present, roster, staff
from tartip.ops import service as tasks_service
from tartip.ops.schemas import (
    CheckIn,
    CoverageRead,
    Position,
    ScoutLive,
    ShiftCreate,
    ShiftPage,
    ShiftRead,
    ShiftUpdate,
    StaffRead,
    StaffUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)

router = APIRouter(
    tags=["ops"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        409: {"model": ErrorBody, "description": "The change clashes with the current state"},
        422: {"model": ErrorBody, "description": "The input is not valid"},
    },
)


def _staff_read(row: staff.StaffRow) -> StaffRead:
    user, profile, shift = row.user, row.profile, row.shift
    return StaffRead(
        user_id=user.id,
        username=user.username,
        name=user.full_name or user.username,
        role=str(user.role),
        team_id=profile.team_id,
        travel_mode=profile.travel_mode,
        phone=profile.phone,
        simulated=profile.simulated,
        last_lon=profile.last_lon,
        last_lat=profile.last_lat,
        last_seen_at=profile.last_seen_at,
        on_shift=shift is not None,
        checked_in=shift is not None
        and shift.checked_in_at is not None
        and shift.checked_out_at is None,
    )


@router.get("/ops/teams", response_model=list[TeamRead])
def list_teams(db: DbSession, scope: CurrentScope) -> list[TeamRead]:
    """The city's teams."""
    return [TeamRead.model_validate(t) for t in staff.list_teams(db, scope=scope)]


@router.post("/ops/teams", response_model=TeamRead, status_code=201)
def create_team(db: DbSession, scope: CurrentScope, data: TeamCreate) -> TeamRead:
    """Create a team (supervisors)."""
    return TeamRead.model_validate(staff.create_team(db, scope=scope, name=data.name))


@router.patch("/ops/teams/{team_id}", response_model=TeamRead)
def update_team(db: DbSession, scope: CurrentScope, team_id: int, data: TeamUpdate) -> TeamRead:
    """Rename a team (supervisors)."""
    return TeamRead.model_validate(staff.update_team(db, scope=scope, team_id=team_id, data=data))


@router.get("/ops/staff", response_model=list[StaffRead])
def list_staff(db: DbSession, scope: CurrentScope) -> list[StaffRead]:
    """Field staff with their profiles and whether they are on shift and checked in now."""
    return [_staff_read(r) for r in staff.list_staff(db, scope=scope)]


@router.get("/ops/staff/{user_id}", response_model=StaffRead)
def read_staff(db: DbSession, scope: CurrentScope, user_id: int) -> StaffRead:
    """One member of staff."""
    return _staff_read(staff.get_staff(db, scope=scope, user_id=user_id))


@router.patch("/ops/staff/{user_id}", response_model=StaffRead)
def update_staff(db: DbSession, scope: CurrentScope, user_id: int, data: StaffUpdate) -> StaffRead:
    """Change a person's team, travel mode or phone (supervisors)."""
    return _staff_read(staff.update_staff(db, scope=scope, user_id=user_id, data=data))


def _day_bounds(db: DbSession, scope: CurrentScope, day: date | None) -> tuple[datetime, datetime]:
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("no such city")
    tz = ZoneInfo(city.timezone)
    local_day = day or datetime.now(tz).date()
    start = datetime.combine(local_day, time(0, 0), tzinfo=tz)
    return start, start + timedelta(days=1)


@router.get("/ops/shifts", response_model=ShiftPage)
def list_shifts(
    db: DbSession,
    scope: CurrentScope,
    paging: Paging,
    day: Annotated[date | None, Query(description="A day in city time (default: today)")] = None,
    user_id: Annotated[int | None, Query(description="Only this person's shifts")] = None,
    city_event_id: Annotated[
        int | None, Query(description="Only shifts staffing this event")
    ] = None,
) -> ShiftPage:
    """The roster of one day in city time (field staff see their own shifts)."""
    since, until = _day_bounds(db, scope, day)
    shifts, total = roster.list_shifts(
        db, scope=scope, since=since, until=until, user_id=user_id, city_event_id=city_event_id,
        offset=paging.offset, limit=paging.size,
    )  # fmt: skip
    items = present.shift_reads(db, scope=scope, shifts=shifts)
    return ShiftPage(items=items, total=total, page=paging.page, size=paging.size)


@router.post("/ops/shifts", response_model=ShiftRead, status_code=201)
def create_shift(db: DbSession, scope: CurrentScope, data: ShiftCreate) -> ShiftRead:
    """Put a person on the roster (supervisors); ``city_event_id`` marks event duty."""
    shift = roster.create_shift(db, scope=scope, data=data)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.get("/ops/shifts/{shift_id}", response_model=ShiftRead)
def read_shift(db: DbSession, scope: CurrentScope, shift_id: int) -> ShiftRead:
    """One shift."""
    shift = roster.get_shift_or_raise(db, scope=scope, shift_id=shift_id)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.patch("/ops/shifts/{shift_id}", response_model=ShiftRead)
def update_shift(db: DbSession, scope: CurrentScope, shift_id: int, data: ShiftUpdate) -> ShiftRead:
    """Move a shift or change its duty zones (supervisors)."""
    shift = roster.update_shift(db, scope=scope, shift_id=shift_id, data=data)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.delete("/ops/shifts/{shift_id}", response_model=ShiftRead)
def cancel_shift(db: DbSession, scope: CurrentScope, shift_id: int) -> ShiftRead:
    """Take a shift off the roster (supervisors)."""
    shift = roster.cancel_shift(db, scope=scope, shift_id=shift_id)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.get("/ops/me/shift", response_model=ShiftRead | None)
def read_my_shift(db: DbSession, scope: CurrentScope) -> ShiftRead | None:
    """The caller's shift now or later today (null when there is none)."""
    shift = staff.my_shift(db, scope=scope)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0] if shift else None


@router.post("/ops/me/check-in", response_model=ShiftRead)
def check_in(db: DbSession, scope: CurrentScope, data: CheckIn) -> ShiftRead:
    """Check in to the caller's shift where the phone is (a repeat changes nothing)."""
    shift = staff.check_in(db, scope=scope, data=data)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.post("/ops/me/check-out", response_model=ShiftRead)
def check_out(db: DbSession, scope: CurrentScope, data: CheckIn) -> ShiftRead:
    """Check out of the caller's shift."""
    shift = staff.check_out(db, scope=scope, data=data)
    return present.shift_reads(db, scope=scope, shifts=[shift])[0]


@router.post("/ops/me/position", status_code=204)
def report_position(db: DbSession, scope: CurrentScope, data: Position) -> Response:
    """Keep the caller's last known position."""
    staff.report_position(db, scope=scope, data=CheckIn(lon=data.lon, lat=data.lat))
    return Response(status_code=204)


@router.get("/ops/coverage", response_model=list[CoverageRead])
def read_coverage(db: DbSession, scope: CurrentScope) -> list[CoverageRead]:
    """Every duty zone now: covered, expected (a shift but nobody checked in) or uncovered."""
    return [
        CoverageRead(
            zone_id=c.zone.id,
            name=c.zone.name,
            code=c.zone.code,
            state=c.state,
            scouts=c.scouts,
            geometry=c.geometry,
        )  # fmt: skip
        for c in staff.coverage(db, scope=scope)
    ]


@router.get("/ops/scouts/live", response_model=list[ScoutLive])
def live_scouts(db: DbSession, scope: CurrentScope) -> list[ScoutLive]:
    """Staff on shift now: last known position and open tasks in route order (supervisors)."""
    scope.require(*tasks_service.LEADS)
    rows = [r for r in staff.list_staff(db, scope=scope) if r.shift is not None]
    routes = tasks_service.routes(db, city_id=scope.city_id, user_ids=[r.user.id for r in rows])
    return [
        ScoutLive(
            user_id=r.user.id,
            name=r.user.full_name or r.user.username,
            travel_mode=r.profile.travel_mode,
            lon=r.profile.last_lon,
            lat=r.profile.last_lat,
            last_seen_at=r.profile.last_seen_at,
            checked_in=_staff_read(r).checked_in,
            zone_ids=list(r.shift.zone_ids) if r.shift else [],
            task_ids=[t.id for t in routes.get(r.user.id, [])],
            route=[[t.lon, t.lat] for t in routes.get(r.user.id, [])],
        )
        for r in rows
    ]
