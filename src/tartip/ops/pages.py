"""The HTML pages of field operations: the scout app (a PWA under /scout) and the supervisor's
console (/ops) and its day view (/ops/day); staff and the roster are ``pages_staff.py``.

The scout app and the console are shells drawn by ``static/js/scout.js`` and ``ops.js`` from the
public JSON API; the day view is rendered here from the same services.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from tartip.auth.enums import Role
from tartip.core.errors import Forbidden
from tartip.deps import DbSession, Page
from tartip.ops import counts, pages_staff
from tartip.ops.enums import DamageKind, TaskKind, TaskState, TravelMode
from tartip.web.templating import STATIC_DIR

router = APIRouter(tags=["pages"], include_in_schema=False)
router.include_router(pages_staff.router)
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


@router.get("/ops/day", response_class=HTMLResponse)
def day_view(page: Page, db: DbSession, day: Annotated[str | None, Query()] = None) -> Response:
    """Work done on one day in city time: per company, zone and scout."""
    scope = page.require_user()
    the_day = pages_staff.local_day(day, page.city.timezone)
    found = counts.day_view(db, scope=scope, day=the_day, timezone=page.city.timezone)
    context = {
        "view": found,
        "previous": (the_day - timedelta(days=1)).isoformat(),
        "next": (the_day + timedelta(days=1)).isoformat(),
    }
    return page.render("ops/day.html", context)
