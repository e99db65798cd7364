"""The web pages of the public domain (no login): the citizens' page and the open-data page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tartip.core.clock import utcnow
from tartip.deps import DbSession, Page
from tartip.public import cache, opendata, service, suppress
from tartip.public.api import PREFIX, RULE, licence_of
from tartip.reports.period import Month

router = APIRouter(include_in_schema=False)


def place_label(place: opendata.Place, locale: str) -> str:
    """A district's name in ``locale`` (English when that name is missing)."""
    localised = {"ru": place.name_ru, "kk": place.name_kk}.get(locale, "")
    return localised or place.name


@router.get("/public", response_class=HTMLResponse)
def public_page(request: Request, page: Page, db: DbSession) -> Response:
    """How many scooters and where, this month's results, and how to complain."""
    city, now = page.city, utcnow()
    month = Month.containing(now, city.timezone)
    kept = cache.cache_of(request, page.settings)
    vehicles = kept.get_or_make(
        ("page-vehicles", city.id), lambda: service.vehicles_now(db, city=city, now=now)
    )
    results = kept.get_or_make(
        ("page-results", city.id, month),
        lambda: service.month_results(db, city=city, month=month, now=now),
    )
    largest = max((d.vehicles or 0 for d in vehicles.districts), default=0)
    response = page.render(
        "public/index.html",
        {
            "vehicles": vehicles,
            "results": results,
            "largest": largest,
            "place_label": place_label,
            "k": suppress.K,
            "licence": licence_of(page.settings),
        },
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/open-data", response_class=HTMLResponse)
def open_data_page(page: Page) -> Response:
    """The open datasets: what each holds, links to JSON and CSV, the licence and the rule."""
    now = utcnow()
    city = page.city
    base = f"/api/v1{PREFIX}"
    over = opendata.last_complete_month(city, now).label
    datasets = [
        ("vehicles", "vehicles", ""),
        ("results", "results", ""),
        ("trips-hourly", "trips/hourly", ""),
        ("trips-daily", "trips/daily", ""),
        ("trips-districts", "trips/districts", over),
        ("trips-district-hours", "trips/district-hours", over),
    ]
    return page.render(
        "public/open_data.html",
        {
            "base": base,
            "datasets": datasets,
            "k": suppress.K,
            "rule": RULE,
            "licence": licence_of(page.settings),
            "current_month": Month.containing(now, city.timezone).label,
        },
    )
