"""What every part of the demo history shares: the month's context, its seeded draws, the bulk
insert and the zones in force.

The writers (``staff``, ``work``, ``complaints``, ``damage``, ``trips``, ``incidents``,
``feeds``) all draw from one ``History``'s generators, in the order ``seed_history`` calls them;
that order is part of what makes the same seed give the same rows.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.geo import METRES_PER_DEGREE
from tartip.damage.demo import DEMO_AGREEMENTS
from tartip.db import bulk
from tartip.reports.report_model import ReportPeriod
from tartip.zones.demo import demo_features
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone, ZoneVersion

HISTORY_BY = "demo history"  # the author of every history row, and the marker
SEED = 20_251_031
DEFAULT_FLEET_CAP = 5000

# How busy each local hour is (trips; complaints, damage and incidents follow the same day).
HOURLY = np.array(
    [0.9, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 2.4, 4.0, 4.2, 4.0, 4.4,
     5.0, 5.2, 5.4, 5.8, 6.4, 7.2, 8.0, 8.2, 7.4, 6.0, 4.2, 2.2]
)  # fmt: skip
HOURLY = HOURLY / HOURLY.sum()
# What the simulator prints on each company's vehicles (``simulator/scenarios/almaty.py``).
CODE_PREFIX = {"jet": "JT", "yandex-go": "YG", "whoosh": "WH"}


@dataclass
class History:
    """What every part of the month reads: the city, the month, the generators and the places.

    One instance per history, so every writer draws from the same seeded sequence.
    """

    db: Session
    city: City
    period: ReportPeriod
    now: datetime
    rng: random.Random  # single draws
    arrays: np.random.Generator  # draws of many at once (trips, places)
    companies: list[Company]
    weights: list[float]  # each company's share of the city's fleet
    zones: dict[ZoneKind, list[Zone]]
    pools: dict[int, np.ndarray] = field(default_factory=dict)  # points inside each zone

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.city.timezone)

    def days(self) -> list[date]:
        """The month's local days."""
        return [self.period.first + timedelta(days=i) for i in range(self.period.days)]

    def at(self, day: date, hours: float) -> datetime:
        """``hours`` after the local midnight of ``day``, in UTC, to the second."""
        local = datetime.combine(day, time(), tzinfo=self.tz) + timedelta(hours=hours)
        return local.astimezone(UTC).replace(microsecond=0)

    def moment(self) -> datetime:
        """A moment of the month, busier hours likelier (the city's day)."""
        day = self.days()[self.rng.randrange(self.period.days)]
        hour = pick(self.rng, HOURLY)
        return self.at(day, hour + self.rng.uniform(0, 1))

    def company(self) -> Company:
        """A company, the bigger fleet likelier."""
        return self.companies[pick(self.rng, self.weights)]

    def point(self, zone: Zone) -> tuple[float, float]:
        """A place inside ``zone``."""
        pool = self.pools.get(zone.id)
        if pool is None:
            pool = self.pools[zone.id] = _points_in(zone.area, 300, self.arrays)
        lon, lat = pool[self.rng.randrange(len(pool))]
        return round(float(lon), 6), round(float(lat), 6)

    def near(self, zone: Zone, metres: float) -> tuple[float, float]:
        """A place around ``zone``, about ``metres`` from a point inside it."""
        lon, lat = self.point(zone)
        dx, dy = self.rng.gauss(0, metres), self.rng.gauss(0, metres)
        return _moved(lon, lat, float(dx), float(dy))

    def spot(self) -> tuple[float, float]:
        """A place where people complain or crash: in or near a duty zone."""
        zone = self.zones[ZoneKind.duty][self.rng.randrange(len(self.zones[ZoneKind.duty]))]
        return self.point(zone) if self.rng.random() < 0.6 else self.near(zone, 500)


def pick(rng: random.Random, shares: Any) -> int:
    """An index drawn with probabilities proportional to ``shares``."""
    left = rng.random() * float(sum(shares))
    for i, share in enumerate(shares):
        left -= share
        if left < 0:
            return i
    return len(shares) - 1


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's way: the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _points_in(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside ``area`` (rejection sampling in its bounds)."""
    west, south, east, north = area.bounds
    found: list[np.ndarray] = []
    total = 0
    for _ in range(50):
        xs, ys = rng.uniform(west, east, 4 * n), rng.uniform(south, north, 4 * n)
        inside = shapely.contains_xy(area, xs, ys)
        found.append(np.stack([xs[inside], ys[inside]], axis=1))
        total += int(inside.sum())
        if total >= n:
            break
    points = np.concatenate(found)[:n]
    if len(points) == 0:
        centre = area.representative_point()
        return np.array([[centre.x, centre.y]])
    return points


def _moved(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A place ``east_m`` and ``north_m`` metres from (lon, lat)."""
    dlat = north_m / METRES_PER_DEGREE
    dlon = east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def fleet_cap(company_slug: str) -> int:
    """The fleet cap the demo city agreed with a company (5,000 without an agreement)."""
    agreed = DEMO_AGREEMENTS.get(company_slug)
    return agreed.fleet_cap if agreed else DEFAULT_FLEET_CAP


def make_history(db: Session, city: City, period: ReportPeriod, now: datetime) -> History:
    """The month's context: the companies weighted by their agreed fleet caps (the bigger fleet
    makes more of everything) and the city's own published zones by kind, freshly seeded."""
    companies = cities_service.list_companies(db, city_id=city.id)
    caps = [fleet_cap(c.slug) for c in companies]
    total = float(sum(caps)) or 1.0
    zones: dict[ZoneKind, list[Zone]] = defaultdict(list)
    stmt = select(Zone).where(Zone.city_id == city.id, Zone.phase == ZonePhase.published)
    for zone in db.scalars(stmt.order_by(Zone.id)):
        if zone.active_until is None:  # an event's temporary zones are not the city's own
            zones[ZoneKind(zone.kind)].append(zone)
    return History(
        db=db,
        city=city,
        period=period,
        now=now,
        rng=random.Random(SEED),
        arrays=np.random.default_rng(SEED),
        companies=companies,
        weights=[cap / total for cap in caps],
        zones=zones,
    )


def insert_rows(
    db: Session, model: Any, rows: list[dict[str, Any]], key: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], int]:
    """Insert ``rows`` in bulk; with ``key``, the new rows' ids by those columns' values.

    ``insert_new`` is the fast path on both databases; none of these rows may clash with one
    already there, so a row it skipped is an error, not a duplicate.
    """
    table: Table = model.__table__
    newest = db.scalar(select(func.max(table.c.id))) or 0
    written = bulk.insert_new(db, table, rows)
    if written != len(rows):
        raise RuntimeError(f"{len(rows) - written} {table.name} rows of the history clashed")
    if not key or not rows:
        return {}
    columns = [table.c[k] for k in key]
    stmt = select(table.c.id, *columns).where(table.c.id > newest)
    return {tuple(row[1:]): int(row[0]) for row in db.execute(stmt)}


def zones_in_force(h: History) -> list[ZoneVersion]:
    """Date the demo zones' first versions back to the month's start; the versions in force
    for the whole month (what the trips' zone rollups count)."""
    codes = {f["properties"].get("code") for f in demo_features()}
    stmt = (
        select(ZoneVersion, Zone)
        .join(Zone, Zone.id == ZoneVersion.zone_id)
        .where(Zone.city_id == h.city.id, Zone.phase == ZonePhase.published)
    )
    whole_month = []
    for version, zone in h.db.execute(stmt).all():
        if zone.code in codes and version.version == 1 and version.in_force_from > h.period.start:
            version.in_force_from = h.period.start
            if zone.published_at is None or zone.published_at > h.period.start:
                zone.published_at = h.period.start
        ends = version.in_force_until
        if version.in_force_from <= h.period.start and (ends is None or ends >= h.period.end):
            if version.active_from is None and version.active_until is None:
                whole_month.append(version)
    h.db.flush()
    return whole_month


def vehicle_code(h: History, company: Company) -> str:
    """A vehicle's code as its company prints it, so complaints, damage and incidents name
    vehicles the way the live demo does."""
    return f"{CODE_PREFIX.get(company.slug, 'XX')}-{h.rng.randrange(100_000, 1_000_000)}"
