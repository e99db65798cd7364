"""The HTML pages of staff and the roster: teams and profiles (/ops/staff), shifts (/ops/roster).

Forms post here with the CSRF token; times are typed and shown in city time and stored in UTC.
A refused form comes back with what was typed and a sentence per field (``forms.py``); each
change runs in a savepoint, so nothing of a refused form is kept.

Mass events sit above ``ops``: the events domain offers its events for event duty through
``app.state.event_options`` (wired in ``app.py``), and its pages link here with ``?event_id=``
and the event's window and duty zones filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.core.errors import Conflict, InvalidInput, Problem, TartipError
from tartip.deps import DbSession, Page, PageContext, check_csrf_form
from tartip.ops import forms, present, roster, staff
from tartip.ops.enums import TravelMode
from tartip.ops.schemas import EventOption, ShiftRead, TeamUpdate

router = APIRouter(tags=["pages"], include_in_schema=False)
EDITORS = (Role.supervisor, Role.admin)


class EventOptions(Protocol):
    """What the events domain offers the roster: events a shift may staff."""

    def __call__(self, db: Session, *, scope: Scope) -> list[EventOption]:
        """The events to offer, soonest first."""
        ...


FormList = Annotated[list[str] | None, Form()]
FormText = Annotated[str, Form()]
# Refusals a form shows next to its fields; anything else (forbidden, not found) is an error page.
REFUSALS = (InvalidInput, Conflict)


def local_day(value: str | None, timezone: str) -> date:
    """A ``YYYY-MM-DD`` day, or today in city time."""
    if value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError as exc:
            raise InvalidInput("not a day", problems=[Problem("day", "use YYYY-MM-DD")]) from exc
    return datetime.now(ZoneInfo(timezone)).date()


def _event_options(request: Request, db: Session, scope: Scope) -> list[EventOption]:
    source: EventOptions | None = getattr(request.app.state, "event_options", None)
    return source(db, scope=scope) if source is not None else []


# ---- the roster ----------------------------------------------------------------------------


def _roster_page(
    page: PageContext,
    db: Session,
    *,
    day: date,
    form: forms.ShiftForm,
    editing: ShiftRead | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    scope = page.require_user()
    start = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(page.city.timezone))
    shifts, _total = roster.list_shifts(
        db, scope=scope, since=start, until=start + timedelta(days=1)
    )
    can_edit = scope.role in EDITORS
    context = {
        "day": day,
        "previous": (day - timedelta(days=1)).isoformat(),
        "next": (day + timedelta(days=1)).isoformat(),
        "shifts": present.shift_reads(db, scope=scope, shifts=shifts),
        "coverage": staff.coverage(db, scope=scope),
        "duty_zones": staff.duty_zones(db, scope=scope) if can_edit else [],
        "people": [r.user for r in staff.list_staff(db, scope=scope)] if can_edit else [],
        "events": {e.id: e for e in _event_options(page.request, db, scope)},
        "can_edit": can_edit,
        "form": form,
        "editing": editing,
        "errors": errors or {},
        "saved": page.request.query_params.get("saved") == "1",
    }
    return page.render("ops/roster.html", context, status_code=status_code)


def _prefilled(
    day: date, event_id: int | None, starts_at: str, ends_at: str, zone_ids: list[str]
) -> forms.ShiftForm:
    if event_id is None:
        return forms.ShiftForm.for_day(day)
    return forms.ShiftForm(
        starts_at=starts_at,
        ends_at=ends_at,
        zone_ids=tuple(zone_ids),
        city_event_id=str(event_id),
    )


@router.get("/ops/roster", response_class=HTMLResponse)
def roster_page(
    page: Page,
    db: DbSession,
    day: Annotated[str | None, Query()] = None,
    edit: Annotated[int | None, Query(description="A shift to change")] = None,
    event_id: Annotated[int | None, Query(description="Event duty for this event")] = None,
    starts_at: Annotated[str, Query()] = "",
    ends_at: Annotated[str, Query()] = "",
    zone_ids: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """One day's shifts, coverage now, and a form to add a shift or change one."""
    scope = page.require_user()
    tz = page.city.timezone
    if edit is not None:
        shift = roster.get_shift_or_raise(db, scope=scope, shift_id=edit)
        read = present.shift_reads(db, scope=scope, shifts=[shift])[0]
        the_day = local_day(day or forms.local_text(read.starts_at, tz), tz)
        form = forms.ShiftForm.of(read, tz)
        return _roster_page(page, db, day=the_day, form=form, editing=read)
    the_day = local_day(day or starts_at or None, tz)
    form = _prefilled(the_day, event_id, starts_at, ends_at, zone_ids or [])
    return _roster_page(page, db, day=the_day, form=form)


def _typed_shift(
    user_id: str, starts_at: str, ends_at: str, zone_ids: list[str] | None, event: str, note: str
) -> forms.ShiftForm:
    return forms.ShiftForm(
        user_id=user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        zone_ids=tuple(zone_ids or ()),
        city_event_id=event,
        note=note,
    )


def _saved(at: datetime, timezone: str) -> RedirectResponse:
    day = forms.local_text(at, timezone)[:10]
    return RedirectResponse(f"/ops/roster?day={day}&saved=1", status_code=303)


def _refused(error: TartipError) -> dict[str, str]:
    return forms.field_errors(error)


@router.post("/ops/roster", response_class=HTMLResponse)
async def add_shift(
    request: Request,
    page: Page,
    db: DbSession,
    user_id: FormText = "",
    starts_at: FormText = "",
    ends_at: FormText = "",
    zone_ids: FormList = None,
    city_event_id: FormText = "",
    note: FormText = "",
) -> Response:
    """Add a shift from the roster form (times in city time)."""
    await check_csrf_form(request)
    scope = page.require_user()
    tz = page.city.timezone
    form = _typed_shift(user_id, starts_at, ends_at, zone_ids, city_event_id, note)
    try:
        with db.begin_nested():  # a refused form keeps nothing
            shift = roster.create_shift(db, scope=scope, data=form.to_create(tz))
    except REFUSALS as exc:
        day = local_day(starts_at if len(starts_at) >= 10 else None, tz)
        return _roster_page(
            page, db, day=day, form=form, errors=_refused(exc), status_code=exc.status_code
        )
    return _saved(shift.starts_at, tz)


@router.post("/ops/roster/{shift_id}", response_class=HTMLResponse)
async def change_shift(
    request: Request,
    page: Page,
    db: DbSession,
    shift_id: int,
    user_id: FormText = "",
    starts_at: FormText = "",
    ends_at: FormText = "",
    zone_ids: FormList = None,
    city_event_id: FormText = "",
    note: FormText = "",
) -> Response:
    """Change a shift from the roster form."""
    await check_csrf_form(request)
    scope = page.require_user()
    tz = page.city.timezone
    form = _typed_shift(user_id, starts_at, ends_at, zone_ids, city_event_id, note)
    try:
        with db.begin_nested():
            data = form.to_update(tz)
            shift = roster.update_shift(db, scope=scope, shift_id=shift_id, data=data)
    except REFUSALS as exc:
        errors = _refused(exc)
        shift = roster.get_shift_or_raise(db, scope=scope, shift_id=shift_id)
        read = present.shift_reads(db, scope=scope, shifts=[shift])[0]
        day = local_day(forms.local_text(read.starts_at, tz), tz)
        return _roster_page(
            page, db, day=day, form=form, editing=read, errors=errors,
            status_code=exc.status_code,
        )  # fmt: skip
    return _saved(shift.starts_at, tz)


@router.post("/ops/roster/{shift_id}/cancel")
async def cancel_shift(request: Request, page: Page, db: DbSession, shift_id: int) -> Response:
    """Take a shift off the roster."""
    await check_csrf_form(request)
    shift = roster.cancel_shift(db, scope=page.require_user(), shift_id=shift_id)
    return _saved(shift.starts_at, page.city.timezone)


# ---- teams and profiles ----------------------------------------------------------------------


def _staff_page(
    page: PageContext,
    db: Session,
    *,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    typed: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    scope = page.require_user()
    scope.require(*EDITORS)
    rows = staff.list_staff(db, scope=scope)
    members: dict[int, int] = {}
    for row in rows:
        if row.profile.team_id is not None:
            members[row.profile.team_id] = members.get(row.profile.team_id, 0) + 1
    context = {
        "teams": staff.list_teams(db, scope=scope),
        "members": members,
        "rows": rows,
        "modes": [m.value for m in TravelMode],
        "errors": errors or {},
        "typed": typed or {},
        "saved": page.request.query_params.get("saved") == "1",
    }
    return page.render("ops/staff.html", context, status_code=status_code)


def _staff_saved(anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/ops/staff?saved=1#{anchor}", status_code=303)


@router.get("/ops/staff", response_class=HTMLResponse)
def staff_page(page: Page, db: DbSession) -> Response:
    """Teams, and each person's team, travel mode and phone."""
    return _staff_page(page, db)


@router.post("/ops/staff/teams", response_class=HTMLResponse)
async def add_team(request: Request, page: Page, db: DbSession, name: FormText = "") -> Response:
    """Create a team from the staff page."""
    await check_csrf_form(request)
    scope = page.require_user()
    try:
        with db.begin_nested():
            team = staff.create_team(db, scope=scope, name=forms.team_name(name))
    except REFUSALS as exc:
        errors = {"new-team": _refused(exc)}
        typed = {"new-team": name}
        return _staff_page(page, db, errors=errors, typed=typed, status_code=exc.status_code)
    return _staff_saved(f"team-{team.id}")


@router.post("/ops/staff/teams/{team_id}", response_class=HTMLResponse)
async def rename_team(
    request: Request, page: Page, db: DbSession, team_id: int, name: FormText = ""
) -> Response:
    """Rename a team from the staff page."""
    await check_csrf_form(request)
    scope = page.require_user()
    try:
        with db.begin_nested():
            data = TeamUpdate(name=forms.team_name(name))
            staff.update_team(db, scope=scope, team_id=team_id, data=data)
    except REFUSALS as exc:
        key = f"team-{team_id}"
        errors, typed = {key: _refused(exc)}, {key: name}
        return _staff_page(page, db, errors=errors, typed=typed, status_code=exc.status_code)
    return _staff_saved(f"team-{team_id}")


@router.post("/ops/staff/people/{user_id}", response_class=HTMLResponse)
async def change_profile(
    request: Request,
    page: Page,
    db: DbSession,
    user_id: int,
    team_id: FormText = "",
    travel_mode: FormText = TravelMode.on_foot.value,
    phone: FormText = "",
) -> Response:
    """Set a person's team, travel mode and phone from the staff page."""
    await check_csrf_form(request)
    scope = page.require_user()
    form = forms.StaffForm(team_id=team_id, travel_mode=travel_mode, phone=phone)
    try:
        with db.begin_nested():
            staff.update_staff(db, scope=scope, user_id=user_id, data=form.to_update())
    except REFUSALS as exc:
        key = f"person-{user_id}"
        errors, typed = {key: _refused(exc)}, {key: form}
        return _staff_page(page, db, errors=errors, typed=typed, status_code=exc.status_code)
    return _staff_saved(f"person-{user_id}")
