"""The sustainability page: car trips and car-km replaced, CO2 avoided, the assumptions beside
them, and (for supervisors) the form to set those assumptions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth.enums import Role
from tartip.deps import DbSession, Page, check_csrf_form
from tartip.reports import sustainability
from tartip.trips import statistics

router = APIRouter(tags=["pages"], include_in_schema=False)
MONTHS_SHOWN = 6


@router.get("/reports/sustainability", response_class=HTMLResponse)
def sustainability_page(
    page: Page,
    db: DbSession,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The estimate of a period (default: the last six months, by month) with its assumptions."""
    scope = page.require_user()
    end = last or statistics.today(page.city)
    start = first or date(end.year, end.month, 1) - timedelta(days=31 * (MONTHS_SHOWN - 1))
    start = first or date(start.year, start.month, 1)
    total = sustainability.estimate(db, scope=scope, first=start, last=end)
    months = sustainability.by_month(db, scope=scope, first=start, last=end)
    context = {
        "total": total,
        "months": months,
        "assumptions": total.assumptions,
        "first": start,
        "last": end,
        "can_edit": scope.role in (Role.admin, Role.supervisor),
    }
    return page.render("reports/sustainability.html", context)


@router.post("/reports/sustainability/assumptions")
async def set_assumptions(
    request: Request,
    page: Page,
    db: DbSession,
    car_trip_share_pct: Annotated[float, Form()],
    car_km_per_scooter_km: Annotated[float, Form()],
    car_co2_g_per_km: Annotated[float, Form()],
    scooter_co2_g_per_km: Annotated[float, Form()],
    source: Annotated[str, Form()],
) -> Response:
    """Set the city's assumptions from the form (the share is typed in per cent)."""
    await check_csrf_form(request)
    values = {
        "car_trip_share": car_trip_share_pct / 100,
        "car_km_per_scooter_km": car_km_per_scooter_km,
        "car_co2_g_per_km": car_co2_g_per_km,
        "scooter_co2_g_per_km": scooter_co2_g_per_km,
    }
    sustainability.set_assumptions(db, scope=page.require_user(), values=values, source=source)
    return RedirectResponse("/reports/sustainability", status_code=303)
