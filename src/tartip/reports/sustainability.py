"""Sustainability: car trips and car-km the scooters replaced, and the CO2 that saved.

The estimate is plain arithmetic over the trip figures of ``tartip.trips.statistics`` (the same
numbers the trips pages and the operator's report show) and four assumptions the city sets
(``SustainabilityAssumptions``; the defaults below until it does):

- car trips replaced = trips × *share of trips that replace a car or taxi trip*;
- car-km replaced = scooter-km × share × *car-km per scooter-km*;
- CO2 of those car-km = car-km replaced × *a car's grams of CO2e per km*;
- the scooters' own CO2 = scooter-km × *a shared scooter's life-cycle grams per km* (making,
  charging, collecting and recycling it: every scooter-km counts, not only those that replaced
  a car);
- CO2 avoided = the first minus the second. It can be negative, and is then shown so.

Every assumption is printed beside the figure it feeds, with its source, never folded into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem
from tartip.reports.period import Month
from tartip.reports.sustainability_models import SustainabilityAssumptions
from tartip.trips import statistics

EDITORS = (Role.supervisor,)  # and admins
FIELDS = ("car_trip_share", "car_km_per_scooter_km", "car_co2_g_per_km", "scooter_co2_g_per_km")
# Placeholders of the order published studies report, until the city sets its own from a rider
# survey and its vehicle fleet; the page says "default" beside each while they are in use.
DEFAULT_SOURCE = (
    "Tartip defaults, not measured in this city: replace them with a rider survey's share and "
    "the city's own emission factors"
)


@dataclass(frozen=True)
class Assumptions:
    """What the estimate assumes; ``is_default`` while the city has set nothing."""

    car_trip_share: float = 0.2
    car_km_per_scooter_km: float = 1.0
    car_co2_g_per_km: float = 170.0
    scooter_co2_g_per_km: float = 65.0
    source: str = DEFAULT_SOURCE
    is_default: bool = True
    updated_at: datetime | None = None
    updated_by: str = ""

    def values(self) -> dict[str, float]:
        """The four numbers, by name."""
        return {name: float(getattr(self, name)) for name in FIELDS}


DEFAULTS = Assumptions()


@dataclass(frozen=True)
class Estimate:
    """The estimate of one period; None where the trip figures are suppressed for the caller."""

    first: date
    last: date
    trips: int | None
    scooter_km: float | None
    car_trips_replaced: float | None
    car_km_replaced: float | None
    car_co2_kg: float | None
    scooter_co2_kg: float | None
    co2_avoided_kg: float | None
    assumptions: Assumptions


def get_assumptions(db: Session, *, city_id: int) -> Assumptions:
    """The city's assumptions, or the defaults."""
    row = db.scalar(
        select(SustainabilityAssumptions).where(SustainabilityAssumptions.city_id == city_id)
    )
    if row is None:
        return DEFAULTS
    return Assumptions(
        car_trip_share=row.car_trip_share,
        car_km_per_scooter_km=row.car_km_per_scooter_km,
        car_co2_g_per_km=row.car_co2_g_per_km,
        scooter_co2_g_per_km=row.scooter_co2_g_per_km,
        source=row.source,
        is_default=False,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _check(values: dict[str, float]) -> None:
    problems: list[Problem] = []
    if not 0 <= values["car_trip_share"] <= 1:
        problems.append(Problem("car_trip_share", "a share between 0 and 1"))
    if not 0 < values["car_km_per_scooter_km"] <= 5:
        problems.append(Problem("car_km_per_scooter_km", "more than 0 and at most 5"))
    for name in ("car_co2_g_per_km", "scooter_co2_g_per_km"):
        if not 0 <= values[name] <= 2000:
            problems.append(Problem(name, "grams per km, between 0 and 2000"))
    if problems:
        raise InvalidInput("the assumptions are out of range", problems=problems)


def set_assumptions(
    db: Session, *, scope: Scope, values: dict[str, float], source: str
) -> Assumptions:
    """Set the city's assumptions (supervisors, admins); the change is audited."""
    scope.require(*EDITORS)
    _check(values)
    row = db.scalar(
        select(SustainabilityAssumptions).where(SustainabilityAssumptions.city_id == scope.city_id)
    )
    before: dict[str, Any] | None = None
    if row is None:
        row = SustainabilityAssumptions(city_id=scope.city_id, **values)
        db.add(row)
    else:
        before = {**{n: getattr(row, n) for n in FIELDS}, "source": row.source}
        for name, value in values.items():
            setattr(row, name, value)
    row.source = source.strip()
    row.updated_at = utcnow()
    row.updated_by = scope.username
    db.flush()
    audit.record(
        db,
        actor=scope.actor,
        action="reports.sustainability.assumptions",
        entity_type="sustainability_assumptions",
        entity_id=row.id,
        city_id=scope.city_id,
        before=before,
        after={**values, "source": row.source},
    )
    return get_assumptions(db, city_id=scope.city_id)


def compute(
    first: date, last: date, trips: int | None, scooter_km: float | None, a: Assumptions
) -> Estimate:
    """The arithmetic of the module docstring for a period's trips and scooter-km."""
    if trips is None or scooter_km is None:
        return Estimate(first, last, trips, None, None, None, None, None, None, a)
    car_km = scooter_km * a.car_trip_share * a.car_km_per_scooter_km
    car_co2 = car_km * a.car_co2_g_per_km / 1000
    scooter_co2 = scooter_km * a.scooter_co2_g_per_km / 1000
    return Estimate(
        first=first,
        last=last,
        trips=trips,
        scooter_km=scooter_km,
        car_trips_replaced=trips * a.car_trip_share,
        car_km_replaced=car_km,
        car_co2_kg=car_co2,
        scooter_co2_kg=scooter_co2,
        co2_avoided_kg=car_co2 - scooter_co2,
        assumptions=a,
    )


def estimate(
    db: Session, *, scope: Scope, first: date, last: date, companies: Sequence[str] = ()
) -> Estimate:
    """The estimate for local days ``first`` to ``last`` (both included) from the trip figures."""
    query = statistics.TripQuery(first=first, last=last, company_slugs=tuple(companies))
    summary = statistics.summary(db, scope=scope, query=query)
    scooter_km: float | None = None
    if summary.trips == 0:
        scooter_km = 0.0
    elif summary.trips is not None and summary.distance_m.mean is not None:
        scooter_km = summary.distance_m.mean * summary.trips / 1000
    assumptions = get_assumptions(db, city_id=scope.city_id)
    return compute(first, last, summary.trips, scooter_km, assumptions)


def by_month(
    db: Session, *, scope: Scope, first: date, last: date, companies: Sequence[str] = ()
) -> list[Estimate]:
    """The estimate of each calendar month from ``first``'s to ``last``'s, cut to the period."""
    found: list[Estimate] = []
    start = first
    while start <= last:
        following = Month(start.year, start.month).next().first_day
        end = min(last, following - timedelta(days=1))
        found.append(estimate(db, scope=scope, first=start, last=end, companies=companies))
        start = following
    return found
