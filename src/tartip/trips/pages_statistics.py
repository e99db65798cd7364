"""The city's trip dashboard (``/trips``): the day's trips, trends, companies, districts, zones,
the district origin-destination matrix and a heat map, for any period.

The page reads the same service functions as ``/api/v1/trips/statistics``; its heat map fetches
that API. The operator's office and the city see it; a company's staff see their own trips only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tartip.core.errors import InvalidInput, Problem
from tartip.deps import DbSession, Page
from tartip.trips import statistics

router = APIRouter(include_in_schema=False)


def _day(value: str | None, where: str) -> date | None:
    """A ``YYYY-MM-DD`` form value; empty means "not given"."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise InvalidInput("not a day", problems=[Problem(where, "use YYYY-MM-DD")]) from exc


def _share(value: int | None, largest: int) -> float:
    """A count as a share (0–1) of the largest, for bars and shading."""
    return (value or 0) / largest if largest else 0.0


@router.get("/trips", response_class=HTMLResponse)
def dashboard(
    page: Page,
    db: DbSession,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    company: Annotated[str | None, Query()] = None,
) -> Response:
    """The trip dashboard for a period (default: the last 7 days) and maybe one company."""
    scope = page.require_user()
    scope.require(*statistics.READERS)
    query = statistics.make_query(
        db,
        scope=scope,
        first=_day(first, "from"),
        last=_day(last, "to"),
        companies=(company,) if company else (),
    )
    locale = page.locale
    days = statistics.by_day(db, scope=scope, query=query)
    hours = statistics.by_hour(db, scope=scope, query=query)
    od = statistics.origin_destination(db, scope=scope, query=query, locale=locale)
    today = statistics.today(page.city)
    context = {
        "query": query,
        "company": company or "",
        "companies": statistics.visible_companies(db, scope=scope),
        "summary": statistics.summary(db, scope=scope, query=query),
        "days": days,
        "hours": hours,
        "by_company": statistics.by_company(db, scope=scope, query=query),
        "zones": statistics.by_zone(db, scope=scope, query=query),
        "od": od,
        "day_max": max((c.trips or 0 for c in days), default=0),
        "hour_max": max((c.trips or 0 for c in hours), default=0),
        "od_max": max((n or 0 for row in od.counts for n in row), default=0),
        "share": _share,
        "suppressed_below": statistics.suppressed_below(scope),
        "presets": {
            "today": (today, today),
            "week": (today - timedelta(days=6), today),
            "month": (today - timedelta(days=29), today),
            "this_month": (today.replace(day=1), today),
        },
    }
    return page.render("trips/dashboard.html", context)
