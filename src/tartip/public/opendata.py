"""Open data of trips: counts by local day, hour and start district, small counts suppressed.

Every table is read from the daily trip rollup (``trips.statistics_models.TripRollup``), the
same rows every trip figure of Tartip is read from, and counts trips by where and when they
*started* (as MDS reports do). No vehicle id, no trip, no exact time or place is published.

Against differencing (a published total minus the shown cells gives back a hidden one):

- the tables cover fixed calendar months of whole local days only, never an arbitrary range, so
  two requests can never overlap in part; the current day is never published;
- every cell below k is hidden (``suppress.py``), and secondary suppression runs over every group
  whose total is published as well (day, day × district; for a month that is over also district
  and district × hour);
- the district and district × hour totals of a month are published only once the month is over:
  two month-to-date totals a day apart would otherwise give back that day's small counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities import districts as districts_service
from tartip.cities.models import City
from tartip.core.clock import to_city_time, utcnow
from tartip.core.errors import Conflict, InvalidInput, Problem
from tartip.public import suppress
from tartip.public.dataset import Dataset
from tartip.reports.period import Month, local_midnight
from tartip.trips.statistics_models import OUTSIDE, TripRollup

OUTSIDE_CODE = "outside"
G = TypeVar("G", bound=Hashable)
HOURS = range(24)


class Cell(NamedTuple):
    """One cell of the finest grain: a local day, an hour (0–23) and a start district."""

    day: date
    hour: int
    district: int


@dataclass(frozen=True)
class Place:
    """A district as published: its code and names (``outside``: outside every district)."""

    key: int
    code: str
    name: str
    name_ru: str
    name_kk: str


@dataclass(frozen=True)
class TripTables:
    """A month's trip tables, each already suppressed (None: hidden)."""

    city: City
    month: Month
    first: date | None
    last: date | None
    complete: bool
    places: list[Place]
    hourly: dict[Cell, int | None]
    daily: dict[tuple[date, int], int | None]
    day_totals: dict[date, int | None]
    districts: dict[int, int | None] | None  # None while the month is not over
    district_hours: dict[tuple[int, int], int | None] | None
    total: int | None
    exact_total: int  # for the public page's agreement checks; never published itself


def local_today(city: City, now: datetime) -> date:
    """The city's local date at ``now``."""
    return to_city_time(now, city.timezone).date()


def covered_days(city: City, month: Month, now: datetime) -> tuple[date | None, date | None, bool]:
    """The whole local days of ``month`` that are over at ``now``, and whether the month is."""
    today = local_today(city, now)
    if month.first_day > today:
        raise InvalidInput(
            f"month {month.label} has not begun in {city.timezone}",
            problems=[Problem("query.month", "a month that has begun")],
        )
    end = month.next().first_day
    complete = end <= today
    last = end - timedelta(days=1) if complete else today - timedelta(days=1)
    if last < month.first_day:
        return None, None, False
    return month.first_day, last, complete


def day_end(day: date, timezone: str) -> datetime:
    """The UTC instant the local ``day`` ends."""
    return local_midnight(day + timedelta(days=1), timezone)


def last_complete_month(city: City, now: datetime) -> Month:
    """The latest month that is over in the city."""
    return Month.containing(now, city.timezone).previous()


def places(db: Session, *, city: City) -> list[Place]:
    """The city's districts, then "outside every district"."""
    found = [
        Place(d.id, d.code, d.name, d.name_ru, d.name_kk)
        for d in districts_service.list_districts(db, city_id=city.id)
    ]
    return [*found, Place(OUTSIDE, OUTSIDE_CODE, "Outside every district", "Вне районов", "")]


def _counts(db: Session, *, city: City, first: date, last: date) -> dict[Cell, int]:
    stmt = (
        select(
            TripRollup.local_date,
            TripRollup.hour,
            TripRollup.start_district,
            func.sum(TripRollup.trips),
        )
        .where(
            TripRollup.city_id == city.id,
            TripRollup.local_date >= first,
            TripRollup.local_date <= last,
        )
        .group_by(TripRollup.local_date, TripRollup.hour, TripRollup.start_district)
    )
    return {Cell(d, int(h), int(s)): int(n or 0) for d, h, s, n in db.execute(stmt)}


def _grid(found: dict[Cell, int], keys: list[int], first: date, last: date) -> dict[Cell, int]:
    """Every cell of the period, zero where no trip started: a missing row must not say "0"."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {Cell(d, h, p): found.get(Cell(d, h, p), 0) for d in days for h in HOURS for p in keys}


def _sums(grid: dict[Cell, int], key: Callable[[Cell], G]) -> dict[G, int]:
    out: dict[G, int] = defaultdict(int)
    for cell, n in grid.items():
        out[key(cell)] += n
    return dict(out)


def _first(key: tuple[G, int]) -> G:
    """The group of a two-part key: its first part (a day, a district)."""
    return key[0]


def everything(_key: object) -> str:
    """One group of every key: the table's grand total is published."""
    return "all"


def trip_tables(db: Session, *, city: City, month: Month, now: datetime) -> TripTables:
    """The month's trip tables as published (see the module's docstring for the rules)."""
    first, last, complete = covered_days(city, month, now)
    district_places = places(db, city=city)
    keys = [p.key for p in district_places]
    if first is None or last is None:
        return TripTables(
            city, month, None, None, False, district_places, {}, {}, {}, None, None, None, 0
        )
    grid = _grid(_counts(db, city=city, first=first, last=last), keys, first, last)
    groups: list[Callable[[Cell], Hashable]] = [lambda c: c.day, lambda c: (c.day, c.district)]
    if complete:
        groups += [lambda c: c.district, lambda c: (c.district, c.hour)]
    hourly = suppress.suppress(grid, groups)
    daily_exact = _sums(grid, lambda c: (c.day, c.district))
    day_exact = _sums(grid, lambda c: c.day)
    # Day × district totals are published per day, beside the day's total: guard that group too.
    daily = suppress.suppress(daily_exact, [_first])
    exact = sum(grid.values())
    districts: dict[int, int | None] | None = None
    district_hours: dict[tuple[int, int], int | None] | None = None
    if complete:
        districts = suppress.suppress(_sums(grid, lambda c: c.district), [everything])
        district_hours = suppress.suppress(
            _sums(grid, lambda c: (c.district, c.hour)),
            [_first],
        )
    return TripTables(
        city=city,
        month=month,
        first=first,
        last=last,
        complete=complete,
        places=district_places,
        hourly=hourly,
        daily=daily,
        day_totals=suppress.suppress(day_exact, [everything]),
        districts=districts,
        district_hours=district_hours,
        total=suppress.shown(exact),
        exact_total=exact,
    )


def month_trips(db: Session, *, city: City, month: Month, now: datetime) -> tuple[int, date | None]:
    """The trips of the month's whole past days (exact) and the last such day (None: none yet).

    The headline figure only: one sum, not the tables ``trip_tables`` builds to reach it.
    """
    first, last, _complete = covered_days(city, month, now)
    if first is None or last is None:
        return 0, None
    total = db.scalar(
        select(func.coalesce(func.sum(TripRollup.trips), 0)).where(
            TripRollup.city_id == city.id,
            TripRollup.local_date >= first,
            TripRollup.local_date <= last,
        )
    )
    return int(total or 0), last


def require_complete(tables: TripTables) -> None:
    """Refuse a month's district totals while the month is not over (see the docstring)."""
    if not tables.complete:
        raise Conflict(
            f"month {tables.month.label} is not over: its district totals are published once "
            "it is; ask for an earlier month, or for the hourly or daily table",
            problems=[Problem("query.month", "a month that is over")],
        )


PLACE_COLUMNS = ("district", "district_name", "district_name_ru", "district_name_kk")
Row = dict[str, str | int | None]


def place_columns(place: Place) -> Row:
    """A district's columns in a row: its code and its names."""
    return {
        "district": place.code,
        "district_name": place.name,
        "district_name_ru": place.name_ru,
        "district_name_kk": place.name_kk,
    }


DESCRIPTIONS = {
    "trips-hourly": "Trips started per local day, hour and start district.",
    "trips-daily": "Trips started per local day and start district.",
    "trips-districts": "Trips started per start district over the month.",
    "trips-district-hours": "Trips started per start district and hour of the day over the month.",
}


def _dataset(tables: TripTables, name: str, columns: tuple[str, ...], rows: list[Row]) -> Dataset:
    return Dataset(
        name=name,
        city=tables.city.slug,
        period=tables.month.label,
        first=tables.first,
        last=tables.last,
        complete=tables.complete,
        columns=columns,
        rows=rows,
        generated_at=utcnow(),
        k=suppress.K,
        description=DESCRIPTIONS[name],
        suppressed=sum(1 for r in rows if r["trips"] is None),
    )


def hourly_dataset(tables: TripTables) -> Dataset:
    """Trips per local day, hour and start district (whole past days of the month)."""
    by_key = {p.key: p for p in tables.places}
    rows: list[Row] = [
        {"date": c.day.isoformat(), "hour": c.hour, **place_columns(by_key[c.district]), "trips": n}
        for c, n in sorted(tables.hourly.items())
    ]
    return _dataset(tables, "trips-hourly", ("date", "hour", *PLACE_COLUMNS, "trips"), rows)


def daily_dataset(tables: TripTables) -> Dataset:
    """Trips per local day and start district, with each day's total (district ``all``)."""
    rows: list[Row] = []
    for day in sorted(tables.day_totals):
        for place in tables.places:
            rows.append(
                {
                    "date": day.isoformat(),
                    **place_columns(place),
                    "trips": tables.daily[(day, place.key)],
                }
            )
        rows.append({"date": day.isoformat(), **ALL_PLACES, "trips": tables.day_totals[day]})
    return _dataset(tables, "trips-daily", ("date", *PLACE_COLUMNS, "trips"), rows)


ALL_PLACES: Row = {
    "district": "all",
    "district_name": "All districts",
    "district_name_ru": "Все районы",
    "district_name_kk": "Барлық аудандар",
}


def districts_dataset(tables: TripTables) -> Dataset:
    """Trips per start district over a month that is over, with the city's total."""
    require_complete(tables)
    assert tables.districts is not None
    rows: list[Row] = [
        {"month": tables.month.label, **place_columns(p), "trips": tables.districts[p.key]}
        for p in tables.places
    ]
    rows.append({"month": tables.month.label, **ALL_PLACES, "trips": tables.total})
    return _dataset(tables, "trips-districts", ("month", *PLACE_COLUMNS, "trips"), rows)


def district_hours_dataset(tables: TripTables) -> Dataset:
    """Trips per start district and hour of the day over a month that is over."""
    require_complete(tables)
    assert tables.district_hours is not None
    rows: list[Row] = [
        {"month": tables.month.label, **place_columns(p), "hour": h,
         "trips": tables.district_hours[(p.key, h)]}
        for p in tables.places
        for h in HOURS
    ]  # fmt: skip
    columns = ("month", *PLACE_COLUMNS, "hour", "trips")
    return _dataset(tables, "trips-district-hours", columns, rows)
