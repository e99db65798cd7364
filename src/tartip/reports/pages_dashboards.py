"""The dashboards' pages: live operations (with a wall-screen mode) and the city view.

The live page and the wall screen poll one htmx partial (``/dashboards/live/panel``). The session
cookie expires ``session_max_age_s`` after it was last signed, and Starlette signs it again only
when the session changed; so each of these pages notes the moment in the session
(``_keep_alive``), its answer carries a freshly signed cookie, and a screen that keeps polling is
never signed out by age, while a session left idle still expires. If a poll fails all the same
(server restarting, network gone, session revoked), htmx keeps the last picture and
``dashboards.js`` marks it stale with the time of the last good answer, instead of replacing the
screen with an error or the login form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth.enums import Role
from tartip.core.clock import utcnow
from tartip.deps import DbSession, Page
from tartip.reports import dashboards, dashboards_city, dashboards_maps
from tartip.reports.api_dashboards import stale_before
from tartip.reports.dashboards_city import DEFAULT_BUCKETS, MAX_BUCKETS, Series, Step
from tartip.reports.dashboards_maps import DEFAULT_HEX_M, HEX_SIZES_M, MapLayer

router = APIRouter(tags=["pages"], include_in_schema=False)

# How often a screen asks for a new picture, in seconds: the default, and the bounds allowed.
REFRESH_S = 30
MIN_REFRESH_S, MAX_REFRESH_S = 10, 600


def _refresh(every: int | None) -> int:
    return min(MAX_REFRESH_S, max(MIN_REFRESH_S, every or REFRESH_S))


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards_home(page: Page) -> Response:
    """The dashboard the caller may see: live operations for supervisors, else the city view."""
    scope = page.require_user()
    if scope.role in (Role.admin, Role.supervisor):
        return RedirectResponse("/dashboards/live", status_code=303)
    return RedirectResponse("/dashboards/city", status_code=303)


def _keep_alive(page: Page) -> None:
    """Change the session, so that the answer signs its cookie anew (a sliding expiry)."""
    page.request.session["screen_seen_at"] = int(utcnow().timestamp())


def _live_context(page: Page, db: DbSession, *, wall: bool, every: int) -> dict[str, object]:
    scope = page.require_user()
    _keep_alive(page)
    board = dashboards.live(db, scope=scope, stale_before=stale_before(page.settings))
    return {"board": board, "wall": wall, "every": every}


@router.get("/dashboards/live", response_class=HTMLResponse)
def live_page(page: Page, db: DbSession, every: Annotated[int | None, Query()] = None) -> Response:
    """Live operations for supervisors and the city: refreshed in place every ``every`` s."""
    context = _live_context(page, db, wall=False, every=_refresh(every))
    return page.render("reports/dashboard_live.html", context)


@router.get("/dashboards/wall", response_class=HTMLResponse)
def wall_page(page: Page, db: DbSession, every: Annotated[int | None, Query()] = None) -> Response:
    """The live picture for a wall screen: full screen, large type, no navigation."""
    context = _live_context(page, db, wall=True, every=_refresh(every))
    return page.render("reports/dashboard_wall.html", context)


@router.get("/dashboards/live/panel", response_class=HTMLResponse)
def live_panel(
    page: Page,
    db: DbSession,
    wall: Annotated[bool, Query()] = False,
    every: Annotated[int | None, Query()] = None,
) -> Response:
    """The live picture alone: the htmx partial both screens poll."""
    context = _live_context(page, db, wall=wall, every=_refresh(every))
    return page.render("reports/_dashboard_live_panel.html", context)


@router.get("/dashboards/city", response_class=HTMLResponse)
def city_page(
    page: Page,
    db: DbSession,
    step: Annotated[Step, Query()] = Step.week,
    count: Annotated[int | None, Query(ge=1, le=MAX_BUCKETS)] = None,
    first: Annotated[str | None, Query()] = None,
    last: Annotated[str | None, Query()] = None,
    layer: Annotated[MapLayer, Query()] = MapLayer.clutter,
    hour: Annotated[int | None, Query(ge=0, le=23)] = None,
    size: Annotated[int, Query()] = DEFAULT_HEX_M,
) -> Response:
    """The city view: trends, the hex map of violations by hour, complaints by district."""
    scope = page.require_user()
    now = utcnow()
    city = page.city
    trends = dashboards_city.trends(
        db,
        scope=scope,
        city=city,
        step=step,
        count=count or DEFAULT_BUCKETS[step.value],
        now=now,
    )
    period = dashboards_maps.map_period(first=first, last=last, now=now, timezone=city.timezone)
    hexes = dashboards_maps.hex_map(
        db, scope=scope, city=city, period=period, layer=layer, hour=hour, size_m=size
    )
    districts = dashboards_maps.district_complaints(
        db, scope=scope, city=city, period=period, now=now, locale=page.locale
    )
    context = {
        "trends": trends,
        "series": list(Series),
        "hexes": hexes,
        "districts": districts,
        "steps": list(Step),
        "layers": list(MapLayer),
        "sizes": HEX_SIZES_M,
        "chosen": {
            "step": step.value,
            "count": count or DEFAULT_BUCKETS[step.value],
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "layer": layer.value,
            "hour": hour,
            "size": size,
        },
    }
    return page.render("reports/dashboard_city.html", context)
