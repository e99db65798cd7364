"""The open-data API: aggregated, suppressed counts as JSON or CSV, no login (docs/open-data.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.deps import DbSession, SettingsDep
from tartip.public import cache, opendata, service, suppress
from tartip.public.dataset import Dataset, Licence
from tartip.public.schemas import CatalogueRead, DatasetInfo, DatasetRead, LicenceRead
from tartip.reports.period import Month
from tartip.settings import Settings

PREFIX = "/open-data"
DOCS = "/open-data"  # the HTML page; docs/open-data.md in the repository says more
RULE = (
    "Counts below k are published as null (empty in CSV), zero included; where a total is "
    "published beside its cells, one more cell is hidden so the total cannot give a hidden one "
    "back. Periods are fixed calendar months of whole local days."
)


def check_rate(request: Request, settings: SettingsDep) -> None:
    """The per-address request limit of the open API."""
    cache.check_rate(request, settings)


router = APIRouter(
    tags=["open-data"],
    dependencies=[Depends(check_rate)],
    responses={
        404: {"model": ErrorBody, "description": "No such city"},
        409: {"model": ErrorBody, "description": "The month is not over (district totals)"},
        422: {"model": ErrorBody, "description": "The month is not YYYY-MM, or has not begun"},
        429: {"model": ErrorBody, "description": "Too many requests from this address"},
    },
)

CityQuery = Annotated[
    str | None, Query(description="The city's slug; default: this installation's city")
]
MonthQuery = Annotated[
    str | None, Query(description="YYYY-MM in the city's time zone; default: this month")
]
OverMonthQuery = Annotated[
    str | None, Query(description="YYYY-MM, a month that is over; default: the last one")
]
FormatQuery = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
# What the catalogue says of each dataset: the trip tables' own descriptions, and the others'.
DESCRIPTIONS = {
    "vehicles": "Vehicles in the sharing companies' feeds now, by district.",
    "results": "The unified operator's results of the month.",
    **opendata.DESCRIPTIONS,
}


def licence_of(settings: Settings) -> Licence:
    """The configured licence of the open data."""
    return Licence(
        settings.open_data_licence, settings.open_data_licence_url, settings.open_data_attribution
    )


def _city(db: Session, settings: Settings, slug: str | None) -> City:
    return service.get_city(db, slug=slug or settings.default_city)


def _answer(dataset: Dataset, settings: Settings, fmt: str) -> Response:
    """The dataset as JSON or CSV, with its licence in a ``Link`` header and cache headers."""
    licence = licence_of(settings)
    headers = {
        "Cache-Control": f"public, max-age={int(settings.open_data_cache_s)}",
        "Link": f'<{licence.url}>; rel="license"',
        "Access-Control-Allow-Origin": "*",
    }
    if fmt == "csv":
        filename = f"tartip-{dataset.city}-{dataset.name}-{dataset.period[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        # A BOM, so that a spreadsheet opened by double-click reads the Cyrillic names as UTF-8.
        body = "\ufeff" + dataset.to_csv()
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    read = DatasetRead.of(dataset, licence)
    return JSONResponse(read.model_dump(mode="json"), headers=headers)


def _trip_answer(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    city: str | None,
    month: str | None,
    fmt: str,
    build: Callable[[opendata.TripTables], Dataset],
    default_complete: bool = False,
) -> Response:
    """A trip dataset of a month (default: this one, or the last that is over), kept and sent."""
    found = _city(db, settings, city)
    now = utcnow()
    if not month and default_complete:
        chosen = opendata.last_complete_month(found, now)
    else:
        chosen = service.parse_month(month, city=found, now=now)
    key = ("trips", found.id, chosen, build.__name__)
    dataset = cache.cache_of(request, settings).get_or_make(
        key, lambda: build(opendata.trip_tables(db, city=found, month=chosen, now=now))
    )
    return _answer(dataset, settings, fmt)


@router.get(PREFIX, response_model=CatalogueRead)
def read_catalogue(
    request: Request, db: DbSession, settings: SettingsDep, city: CityQuery = None
) -> CatalogueRead:
    """Every open dataset: where it is, what it holds, its licence and the suppression rule."""
    found = _city(db, settings, city)
    now = utcnow()
    base = str(request.base_url).rstrip("/") + request.url.path

    def info(name: str, path: str, periods: str) -> DatasetInfo:
        url = f"{base}/{path}?city={found.slug}"
        return DatasetInfo(
            name=name, description=DESCRIPTIONS[name], url=url, csv_url=f"{url}&format=csv",
            periods=periods,
        )  # fmt: skip

    licence = licence_of(settings)
    return CatalogueRead(
        city=found.slug,
        licence=LicenceRead(name=licence.name, url=licence.url, attribution=licence.attribution),
        k=suppress.K,
        rule=RULE,
        documentation=str(request.base_url).rstrip("/") + DOCS,
        current_month=Month.containing(now, found.timezone).label,
        last_complete_month=opendata.last_complete_month(found, now).label,
        datasets=[
            info("vehicles", "vehicles", "now"),
            info("results", "results", "month=YYYY-MM (default: this month)"),
            info("trips-hourly", "trips/hourly", "month=YYYY-MM (default: this month)"),
            info("trips-daily", "trips/daily", "month=YYYY-MM (default: this month)"),
            info("trips-districts", "trips/districts", "month=YYYY-MM, over (default: last)"),
            info(
                "trips-district-hours",
                "trips/district-hours",
                "month=YYYY-MM, over (default: last)",
            ),
        ],
    )


@router.get(f"{PREFIX}/vehicles", response_model=DatasetRead)
def read_vehicles(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """Vehicles in the sharing companies' feeds now, by district."""
    found = _city(db, settings, city)
    dataset = cache.cache_of(request, settings).get_or_make(
        ("vehicles", found.id),
        lambda: service.vehicles_dataset(
            service.vehicles_now(db, city=found, now=utcnow()), city=found, k=suppress.K
        ),
    )
    return _answer(dataset, settings, format)


@router.get(f"{PREFIX}/results", response_model=DatasetRead)
def read_results(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    month: MonthQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """The unified operator's results of a month: trips, vehicles put in order, complaints…"""
    found = _city(db, settings, city)
    now = utcnow()
    chosen = service.parse_month(month, city=found, now=now)

    def make() -> Dataset:
        results = service.month_results(db, city=found, month=chosen, now=now)
        return service.results_dataset(results, city=found, k=suppress.K, now=now)

    dataset = cache.cache_of(request, settings).get_or_make(("results", found.id, chosen), make)
    return _answer(dataset, settings, format)


@router.get(f"{PREFIX}/trips/hourly", response_model=DatasetRead)
def read_trips_hourly(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    month: MonthQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """Trips started per local day, hour and start district (whole past days of the month)."""
    return _trip_answer(
        request, db, settings, city=city, month=month, fmt=format, build=opendata.hourly_dataset
    )


@router.get(f"{PREFIX}/trips/daily", response_model=DatasetRead)
def read_trips_daily(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    month: MonthQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """Trips started per local day and start district, with each day's total."""
    return _trip_answer(
        request, db, settings, city=city, month=month, fmt=format, build=opendata.daily_dataset
    )


@router.get(f"{PREFIX}/trips/districts", response_model=DatasetRead)
def read_trips_districts(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    month: OverMonthQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """Trips started per district over a month that is over, with the city's total."""
    return _trip_answer(
        request, db, settings, city=city, month=month, fmt=format,
        build=opendata.districts_dataset, default_complete=True,
    )  # fmt: skip


@router.get(f"{PREFIX}/trips/district-hours", response_model=DatasetRead)
def read_trips_district_hours(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    city: CityQuery = None,
    month: OverMonthQuery = None,
    format: FormatQuery = "json",
) -> Response:
    """Trips started per district and hour of the day over a month that is over."""
    return _trip_answer(
        request, db, settings, city=city, month=month, fmt=format,
        build=opendata.district_hours_dataset, default_complete=True,
    )  # fmt: skip
