"""What the public sees: vehicles on the street now, the month's results, and the open datasets.

Every number is read through the owning domain's own figure function (fleet, ops, complaints,
damage, the trip rollup), so the public page, the operator's report and the dashboards agree;
then every count below k is suppressed (``suppress.py``). The public acts through a read-only
scope of a city viewer that is not a person (``public_scope``): it sees every company, and the
figure functions allow it nothing they would not allow the city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import districts as districts_service
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.complaints import figures as complaint_figures
from tartip.core.errors import NotFound, Problem
from tartip.damage import figures as damage_figures
from tartip.fleet import service as fleet_service
from tartip.fleet.models import Vehicle
from tartip.ops import counts as ops_counts
from tartip.public import opendata, suppress
from tartip.public.dataset import Dataset
from tartip.reports.period import Month, period_for
from tartip.trips.statistics_models import OUTSIDE

PUBLIC_USER = "public"


def public_scope(city: City) -> Scope:
    """The scope the public reads through: the city's view, no person, no company."""
    return Scope(user_id=None, username=PUBLIC_USER, role=Role.city_viewer, city_id=city.id)


def get_city(db: Session, *, slug: str) -> City:
    """The city whose figures are asked for (``NotFound`` names the slug)."""
    city = cities_service.get_by_slug(db, slug=slug)
    if city is None:
        raise NotFound(f"no city {slug!r}", problems=[Problem("query.city", "a city served here")])
    return city


def parse_month(text: str | None, *, city: City, now: datetime) -> Month:
    """``YYYY-MM``, or the city's current month when none is given."""
    return Month.parse(text) if text else Month.containing(now, city.timezone)


@dataclass(frozen=True)
class DistrictCount:
    """Vehicles in one district (None: fewer than k)."""

    place: opendata.Place
    vehicles: int | None


@dataclass(frozen=True)
class VehiclesNow:
    """Vehicles on the street now: in every company's feed, by district."""

    at: datetime
    total: int | None
    districts: list[DistrictCount]


def vehicles_now(db: Session, *, city: City, now: datetime) -> VehiclesNow:
    """Vehicles in the companies' feeds now (the live map's count), by district, suppressed."""
    scope = public_scope(city)
    counts = fleet_service.summarise(db, scope=scope, stale_before=now)
    total = sum(c.total for c in counts)
    rows = db.execute(
        select(Vehicle.lon, Vehicle.lat).where(
            Vehicle.city_id == city.id, Vehicle.in_feed.is_(True)
        )
    ).all()
    located = districts_service.locator(db, city.id).locate(
        [r.lon for r in rows], [r.lat for r in rows]
    )
    places = opendata.places(db, city=city)
    exact = {p.key: 0 for p in places}
    for district in located:
        exact[district or OUTSIDE] += 1
    shown = suppress.suppress(exact, [opendata.everything])
    return VehiclesNow(
        at=now,
        total=suppress.shown(total),
        districts=[DistrictCount(p, shown[p.key]) for p in places],
    )


@dataclass(frozen=True)
class MonthResults:
    """The unified operator's results of a month so far (each None: fewer than k)."""

    month: Month
    trips: int | None
    put_in_order: int | None
    complaints_received: int | None
    complaints_resolved: int | None
    damaged_handed_over: int | None
    trips_through: datetime | None  # trips are counted over whole past days only


def month_results(db: Session, *, city: City, month: Month, now: datetime) -> MonthResults:
    """The month's headline results, each from its domain's own figures, then suppressed."""
    scope = public_scope(city)
    period = period_for(month, timezone=city.timezone, now=now)
    trips, last_day = opendata.month_trips(db, city=city, month=month, now=now)
    put = ops_counts.counts(
        db,
        scope=scope,
        since=month.first_day,
        until=month.next().first_day,
        period="month",
        group="company",
        timezone=city.timezone,
    )
    complaints = complaint_figures.figures(
        db, scope=scope, since=period.start, until=period.until, now=now
    )
    damage = damage_figures.figures(db, scope=scope, since=month.label, until=month.label)
    handed = damage_figures.totals(damage.rows)["handed_over"]
    through = None if last_day is None else opendata.day_end(last_day, city.timezone)
    return MonthResults(
        month=month,
        trips=suppress.shown(trips),
        put_in_order=suppress.shown(sum(row.count for row in put)),
        complaints_received=suppress.shown(complaints.total.total),
        complaints_resolved=suppress.shown(complaints.total.resolved),
        damaged_handed_over=suppress.shown(handed),
        trips_through=through,
    )


RESULT_FIGURES = (
    "trips",
    "put_in_order",
    "complaints_received",
    "complaints_resolved",
    "damaged_handed_over",
)


def results_dataset(results: MonthResults, *, city: City, k: int, now: datetime) -> Dataset:
    """The month's results as a dataset: one row per figure."""
    first = results.month.first_day
    complete = results.month.next().first_day <= opendata.local_today(city, now)
    rows: list[dict[str, str | int | None]] = [
        {"month": results.month.label, "figure": name, "value": getattr(results, name)}
        for name in RESULT_FIGURES
    ]
    return Dataset(
        name="results",
        city=city.slug,
        period=results.month.label,
        first=first,
        last=None,
        complete=complete,
        columns=("month", "figure", "value"),
        rows=rows,
        generated_at=now,
        k=k,
        description="The unified operator's results of the month (so far, if it is not over).",
        suppressed=sum(1 for r in rows if r["value"] is None),
    )


def vehicles_dataset(found: VehiclesNow, *, city: City, k: int) -> Dataset:
    """Vehicles on the street now, by district."""
    rows: list[dict[str, str | int | None]] = [
        {**opendata.place_columns(d.place), "vehicles": d.vehicles} for d in found.districts
    ]
    return Dataset(
        name="vehicles",
        city=city.slug,
        period=found.at.isoformat(timespec="seconds"),
        first=None,
        last=None,
        complete=False,
        columns=(*opendata.PLACE_COLUMNS, "vehicles"),
        rows=rows,
        generated_at=found.at,
        k=k,
        description="Vehicles in the sharing companies' feeds now, by district.",
        suppressed=sum(1 for r in rows if r["vehicles"] is None),
    )
