"""The HTML pages of field operations: the scout app (a PWA under /scout) and the supervisor's
console (/ops), its day view (/ops/day) and roster (/ops/roster).

The scout app and the console are shells drawn by ``static/js/scout.js`` and ``ops.js`` from the
public JSON API; the day view and the roster are rendered here from the same services.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tartip.auth.enums import Role
from tartip.core.errors import Forbidden, InvalidInput, Problem, TartipError
from tartip.deps import DbSession, Page, check_csrf_form
from tartip.ops import counts, present, staff
from tartip.ops.enums import DamageKind, TaskKind, TaskState, TravelMode
from tartip.ops.schemas import ShiftCreate
from tartip.web.templating import STATIC_DIR

router = APIRouter(tags=["pages"], include_in_schema=False)
SCOUT_STATIC = STATIC_DIR / "scout"
CONSOLE_ROLES = (Role.supervisor, Role.admin)


def _labels() -> dict[str, list[str]]:
    return {
        "states": [s.value for s in TaskState],
        "kinds": [k.value for k in TaskKind],
        "damage": [d.value for d in DamageKind],
        "modes": [m.value for m in TravelMode],
    }


@router.get("/scout", response_class=HTMLResponse)
def scout_app(page: Page) -> Response:
    """The scout's phone app: shift, tasks in route order, map, proof of work, damage."""
    scope = page.require_user()
    if not scope.is_operator_staff:
        raise Forbidden("the scout app is for the unified operator's staff")
    return page.render("scout/app.html", {"vocab": _labels()})


@router.get("/scout/sw.js")
def service_worker() -> Response:
    """The service worker, served under /scout so its scope covers the app."""
    return FileResponse(
        SCOUT_STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/scout"},
    )


@router.get("/scout/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest that makes the scout app installable."""
    return FileResponse(
        SCOUT_STATIC / "manifest.webmanifest", media_type="application/manifest+json"
    )


@router.get("/ops", response_class=HTMLResponse)
def console(page: Page) -> Response:
    """The supervisor's console: scouts, routes, tasks, violations and uncovered duty zones."""
    scope = page.require_user()
    scope.require(*CONSOLE_ROLES)
    return page.render("ops/console.html", {"vocab": _labels()})


def _local_day(value: str | None, timezone: str) -> date:
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput("not a day", problems=[Problem("day", "use YYYY-MM-DD")]) from exc
    return datetime.now(ZoneInfo(timezone)).date()


@router.get("/ops/day", response_class=HTMLResponse)
def day_view(page: Page, db: DbSession, day: Annotated[str | None, Query()] = None) -> Response:
    """Work done on one day in city time: per company, zone and scout."""
    scope = page.require_user()
    the_day = _local_day(day, page.city.timezone)
    found = counts.day_view(db, scope=scope, day=the_day, timezone=page.city.timezone)
    context = {
        "view": found,
        "previous": (the_day - timedelta(days=1)).isoformat(),
        "next": (the_day + timedelta(days=1)).isoformat(),
    }
    return page.render("ops/day.html", context)


def _roster_context(page: Page, db: DbSession, day: date, error: str | None) -> dict[str, object]:
    scope = page.require_user()
    tz = ZoneInfo(page.city.timezone)
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    shifts, _total = staff.list_shifts(
        db, scope=scope, since=start, until=start + timedelta(days=1)
    )
    return {
        "day": day,
        "shifts": present.shift_reads(db, scope=scope, shifts=shifts),
        "coverage": staff.coverage(db, scope=scope),
        "people": [r.user for r in staff.list_staff(db, scope=scope)],
        "can_edit": scope.role in CONSOLE_ROLES,
        "error": error,
        "event_id": page.request.query_params.get("event_id"),
    }


@router.get("/ops/roster", response_class=HTMLResponse)
def roster(page: Page, db: DbSession, day: Annotated[str | None, Query()] = None) -> Response:
    """One day's shifts, the duty zones' coverage now, and a form to add a shift."""
    the_day = _local_day(day, page.city.timezone)
    return page.render("ops/roster.html", _roster_context(page, db, the_day, None))


@router.post("/ops/roster", response_class=HTMLResponse)
async def add_shift(
    request: Request,
    page: Page,
    db: DbSession,
    user_id: Annotated[int, Form()],
    day: Annotated[str, Form()],
    starts: Annotated[str, Form()],
    ends: Annotated[str, Form()],
    zone_ids: Annotated[list[int] | None, Form()] = None,
    city_event_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Add a shift from the roster form (city time; an end before the start is the next day)."""
    await check_csrf_form(request)
    scope = page.require_user()
    tz = ZoneInfo(page.city.timezone)
    the_day = _local_day(day, page.city.timezone)
    try:
        start = datetime.combine(the_day, time.fromisoformat(starts), tzinfo=tz)
        end = datetime.combine(the_day, time.fromisoformat(ends), tzinfo=tz)
        if end <= start:
            end += timedelta(days=1)
        data = ShiftCreate(
            user_id=user_id, starts_at=start, ends_at=end, zone_ids=zone_ids or [],
            city_event_id=city_event_id,
        )  # fmt: skip
        staff.create_shift(db, scope=scope, data=data)
    except (ValueError, ValidationError, TartipError) as exc:
        message = exc.message if isinstance(exc, TartipError) else str(exc)
        context = _roster_context(page, db, the_day, message)
        return page.render("ops/roster.html", context, status_code=422)
    return RedirectResponse(f"/ops/roster?day={the_day.isoformat()}", status_code=303)
