"""Use cases of the reports domain: the companies' scorecard for a month.

Who sees what: the city's people (admins, supervisors, city viewers) see every company side by
side; a company's representative sees their own company and nothing of the others, the same
numbers the city sees. Nobody else sees the scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, NotFound
from tartip.feeds import pull_slots
from tartip.reports import reading, reading_mds
from tartip.reports import scorecard as sc
from tartip.reports.period import SAMPLE_S, Month, Period, period_for
from tartip.reports.scorecard import Measure

# Roles that see the scorecard (admins always do): the city's, and the companies' for themselves.
CITY_ROLES = (Role.supervisor, Role.city_viewer)
VIEWER_ROLES = (*CITY_ROLES, Role.company_rep)
# An MDS event received more than this long after it happened is late. Provider serves an hour
# once it is over, so a punctual company's events arrive up to about two hours after the fact.
LATE_AFTER_S = 24 * 3600.0


@dataclass(frozen=True)
class CompanyCard:
    """One company's measures for the month."""

    company: Company
    measures: tuple[Measure, ...]

    def measure(self, key: sc.MeasureKey) -> Measure:
        """One measure by key."""
        return next(m for m in self.measures if m.key is key)


@dataclass(frozen=True)
class Assumptions:
    """The fixed numbers the formulas use, shown with the scorecard."""

    sample_s: int
    disabled_threshold_s: float
    late_after_s: float
    parking_kinds: tuple[str, ...]
    vehicle_files: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    """Every visible company's measures for one month of one city."""

    city: City
    period: Period
    computed_at: datetime
    assumptions: Assumptions
    companies: tuple[CompanyCard, ...]


def visible_companies(db: Session, *, scope: Scope, slug: str | None = None) -> list[Company]:
    """The companies whose scorecard the caller may see (``slug`` narrows it to one)."""
    scope.require(*VIEWER_ROLES)
    if scope.role is Role.company_rep:
        own = db.get(Company, scope.company_id) if scope.company_id is not None else None
        if own is None or own.city_id != scope.city_id:
            raise Forbidden("this account belongs to no company: it has no scorecard")
        if slug and slug != own.slug:
            raise Forbidden("a company's representative sees only their own company's scorecard")
        return [own]
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    if slug:
        companies = [c for c in companies if c.slug == slug]
        if not companies:
            raise NotFound(f"no company {slug!r} in this city")
    return companies


def scorecard(
    db: Session,
    *,
    scope: Scope,
    month: str | None = None,
    company: str | None = None,
    now: datetime | None = None,
) -> Scorecard:
    """The scorecard of ``month`` (``YYYY-MM``, default: this month in the city's time zone)."""
    companies = visible_companies(db, scope=scope, slug=company)
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("the caller's city does not exist")
    moment = now or utcnow()
    chosen = Month.parse(month) if month else Month.containing(moment, city.timezone)
    period = period_for(chosen, timezone=city.timezone, now=moment)
    inputs = _Inputs.read(db, city_id=city.id, period=period, companies=companies, now=moment)
    return Scorecard(
        city=city,
        period=period,
        computed_at=moment,
        assumptions=Assumptions(
            sample_s=SAMPLE_S,
            disabled_threshold_s=inputs.disabled_threshold_s,
            late_after_s=LATE_AFTER_S,
            parking_kinds=tuple(k.value for k in reading.PARKING_KINDS),
            vehicle_files=pull_slots.VEHICLE_FILES,
        ),
        companies=tuple(CompanyCard(c, inputs.measures(c.id)) for c in companies),
    )


@dataclass
class _Inputs:
    """Everything read for the month, for every company of the city."""

    period: Period
    now: float
    caps: dict[int, int]
    disabled_threshold_s: float
    disabled: dict[int, list[tuple[str, float, float]]]
    violations: dict[int, int]
    handovers: dict[int, list[sc.HandoverTimes]]
    complaints: dict[int, int]
    trips: dict[int, int]
    feeds: dict[int, sc.FeedInputs]
    put_in_order: dict[int, int]
    mds: dict[int, sc.MdsCounts]

    @classmethod
    def read(
        cls, db: Session, *, city_id: int, period: Period, companies: list[Company], now: datetime
    ) -> _Inputs:
        """Read every input of the month."""
        return cls(
            period=period,
            now=now.timestamp(),
            caps=reading.fleet_caps(db, city_id=city_id, companies=companies),
            disabled_threshold_s=reading.disabled_threshold_s(db, city_id=city_id),
            disabled=reading.disabled_spells(db, city_id=city_id, period=period),
            violations=reading.parking_violations(
                db, city_id=city_id, period=period, companies=companies
            ),
            handovers=reading.handovers(db, city_id=city_id, period=period),
            complaints=reading.complaints(db, city_id=city_id, period=period),
            trips=reading.trips(db, city_id=city_id, period=period),
            feeds=reading.feed_inputs(db, city_id=city_id, period=period),
            put_in_order=reading.put_in_order(db, city_id=city_id, period=period),
            mds=reading_mds.mds_counts(
                db, city_id=city_id, period=period, late_after_s=LATE_AFTER_S
            ),
        )

    def measures(self, company_id: int) -> tuple[Measure, ...]:
        """One company's measures."""
        period = self.period
        feeds = self.feeds.get(company_id, sc.FeedInputs())
        mean, peak = sc.on_street(feeds.fleet.values(), period.slots)
        deployed = sc.deployed(
            mean, peak, [day for _date, day in period.slot_days()], cap=self.caps.get(company_id)
        )
        # Rates use the exact average, not the rounded figure shown; None: the fleet is unknown.
        known = ~np.isnan(mean)
        average = float(mean[known].mean()) if known.any() else None
        return (
            deployed,
            sc.rate_measure(
                sc.MeasureKey.parking_violations,
                "violations",
                self.violations.get(company_id, 0),
                average,
            ),
            sc.disabled_left(
                self.disabled.get(company_id, []),
                threshold_s=self.disabled_threshold_s,
                start=period.start.timestamp(),
                until=period.until.timestamp(),
                heard=average is not None,
            ),
            sc.damage_collection(self.handovers.get(company_id, []), now=self.now),
            sc.complaints(self.complaints.get(company_id, 0), self.trips.get(company_id, 0)),
            sc.feed(feeds, slots=period.slots, origin=period.origin),
            sc.mds_quality(self.mds.get(company_id, sc.MdsCounts()), late_after_s=LATE_AFTER_S),
            sc.rate_measure(
                sc.MeasureKey.put_in_order,
                "vehicles_put_in_order",
                self.put_in_order.get(company_id, 0),
                average,
            ),
        )
