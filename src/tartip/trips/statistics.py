"""The city's picture of trips, read from the daily rollups: per day, hour, company, district and
zone, durations and distances, the district origin-destination matrix and a heat map.

Trip data is personal data. The unified operator's staff see the figures as they are; everyone
else (the city's viewers, a company's staff, who see only their own company) sees aggregates in
which every count below ``K_ANONYMITY`` (10, as MDS reports do) is suppressed: given as ``None``.
A median or mean of fewer than ``K_ANONYMITY`` trips is suppressed the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import districts as districts_service
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.clock import to_city_time, utcnow
from tartip.core.errors import InvalidInput, NotFound, Problem
from tartip.core.i18n import catalogue
from tartip.trips import statistics_rollup as rollup
from tartip.trips.statistics_models import (
    OUTSIDE,
    TripCellRollup,
    TripMeasureRollup,
    TripRollup,
    TripZoneRollup,
)
from tartip.zones.enums import PUBLIC_KINDS
from tartip.zones.models import Zone

K_ANONYMITY = 10
MAX_PERIOD_DAYS = 400
DEFAULT_DAYS = 7
# Who may see trip figures at all: the operator's office and the city; companies their own.
READERS = (Role.supervisor, Role.city_viewer, Role.company_rep)

RollupTable = (
    type[TripRollup] | type[TripMeasureRollup] | type[TripZoneRollup] | type[TripCellRollup]
)


@dataclass(frozen=True)
class TripQuery:
    """What a caller asks for: a period of local days (both included) and maybe some companies."""

    first: date
    last: date
    company_slugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reader:
    """A checked query: the caller's city, the companies it covers, whether to suppress."""

    city: City
    first: date
    last: date
    company_ids: list[int] | None  # None: every company of the city
    suppress: bool

    def where(self, table: RollupTable) -> list[Any]:
        """The filter of a rollup table for this query."""
        clauses: list[Any] = [
            table.city_id == self.city.id,
            table.local_date >= self.first,
            table.local_date <= self.last,
        ]
        if self.company_ids is not None:
            clauses.append(table.company_id.in_(self.company_ids))
        return clauses

    def count(self, value: int) -> int | None:
        """A count as this caller may see it."""
        return None if self.suppress and value < K_ANONYMITY else value


@dataclass(frozen=True)
class Measure:
    """Mean, median and 90th percentile of a trip measure (seconds or metres)."""

    mean: float | None
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Summary:
    """The headline figures of a period."""

    first: date
    last: date
    today: date
    trips: int | None
    trips_today: int | None
    duration_s: Measure
    distance_m: Measure
    rolled_up_at: datetime | None
    suppressed_below: int | None


@dataclass(frozen=True)
class Count:
    """A count under a key (a day, an hour, a company, a district, a zone)."""

    key: str
    label: str
    trips: int | None


@dataclass(frozen=True)
class Place:
    """Trips that started and ended in a place (a district or a zone)."""

    id: int | None
    code: str
    label: str
    kind: str
    starts: int | None
    ends: int | None


@dataclass(frozen=True)
class OriginDestination:
    """Trips between districts: ``counts[i][j]`` started in ``places[i]`` and ended in ``[j]``."""

    places: list[Place]
    counts: list[list[int | None]]
    total: int | None


@dataclass(frozen=True)
class Cell:
    """One heat-map cell: its bounds (WGS 84) and the trips that started and ended in it."""

    south: float
    west: float
    north: float
    east: float
    starts: int | None
    ends: int | None


def today(city: City) -> date:
    """The current local date of the city."""
    return to_city_time(utcnow(), city.timezone).date()


def make_query(
    db: Session,
    *,
    scope: Scope,
    first: date | None = None,
    last: date | None = None,
    companies: Sequence[str] = (),
) -> TripQuery:
    """A query from a request's parameters; the period defaults to the last week, today included."""
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    end = last or (first + timedelta(days=DEFAULT_DAYS - 1) if first else today(city))
    start = first or end - timedelta(days=DEFAULT_DAYS - 1)
    return TripQuery(first=start, last=end, company_slugs=tuple(companies))


def suppressed_below(scope: Scope) -> int | None:
    """The count below which figures are suppressed for this caller (None: nothing is)."""
    return None if scope.is_operator_staff else K_ANONYMITY


def _reader(db: Session, *, scope: Scope, query: TripQuery) -> _Reader:
    """Check the caller and the query; resolve the companies it covers."""
    scope.require(*READERS)
    if query.last < query.first:
        raise InvalidInput(
            "the period ends before it starts",
            problems=[Problem("to", f"{query.last} is before {query.first}")],
        )
    if (query.last - query.first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"the period is longer than {MAX_PERIOD_DAYS} days",
            problems=[Problem("from", f"{query.first} to {query.last}")],
        )
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    requested: list[int] | None = None
    if query.company_slugs:
        known = {c.slug: c.id for c in cities_service.list_companies(db, city_id=city.id)}
        unknown = [s for s in query.company_slugs if s not in known]
        if unknown:
            raise InvalidInput(
                f"unknown company {unknown[0]!r}",
                problems=[Problem("company", f"no company {s!r} in this city") for s in unknown],
            )
        requested = [known[s] for s in query.company_slugs]
    return _Reader(
        city=city,
        first=query.first,
        last=query.last,
        company_ids=scope.visible_company_ids(requested),
        suppress=suppressed_below(scope) is not None,
    )


def summary(db: Session, *, scope: Scope, query: TripQuery) -> Summary:
    """Trips in the period and today, and the period's durations and distances."""
    reader = _reader(db, scope=scope, query=query)
    trips, duration, distance = db.execute(
        select(
            func.coalesce(func.sum(TripRollup.trips), 0),
            func.coalesce(func.sum(TripRollup.duration_s), 0),
            func.coalesce(func.sum(TripRollup.distance_m), 0),
        ).where(*reader.where(TripRollup))
    ).one()
    now = today(reader.city)
    today_reader = _Reader(reader.city, now, now, reader.company_ids, reader.suppress)
    trips_today = db.scalar(
        select(func.coalesce(func.sum(TripRollup.trips), 0)).where(*today_reader.where(TripRollup))
    )
    shown = not reader.suppress or trips >= K_ANONYMITY
    return Summary(
        first=reader.first,
        last=reader.last,
        today=now,
        trips=reader.count(int(trips)),
        trips_today=reader.count(int(trips_today or 0)),
        duration_s=_measure(db, reader, "duration", int(trips), int(duration), shown),
        distance_m=_measure(db, reader, "distance", int(trips), int(distance), shown),
        rolled_up_at=rollup.rolled_up_at(db, city_id=reader.city.id),
        suppressed_below=K_ANONYMITY if reader.suppress else None,
    )


def _measure(
    db: Session, reader: _Reader, measure: str, trips: int, total: int, shown: bool
) -> Measure:
    """Mean (exact, from the sums) and median and p90 (from the histogram, within one bin)."""
    if trips == 0 or not shown:
        return Measure(mean=None, median=None, p90=None)
    width = rollup.DURATION_BIN_S if measure == "duration" else rollup.DISTANCE_BIN_M
    rows = db.execute(
        select(TripMeasureRollup.bin, func.sum(TripMeasureRollup.trips))
        .where(*reader.where(TripMeasureRollup), TripMeasureRollup.measure == measure)
        .group_by(TripMeasureRollup.bin)
        .order_by(TripMeasureRollup.bin)
    ).all()
    histogram = [(int(b), int(n)) for b, n in rows]
    return Measure(
        mean=total / trips,
        median=percentile(histogram, 0.5, width),
        p90=percentile(histogram, 0.9, width),
    )


def percentile(histogram: list[tuple[int, int]], share: float, width: float) -> float | None:
    """The ``share`` quantile of binned values (bins of ``width``), interpolated inside its bin."""
    total = sum(n for _, n in histogram)
    if total == 0:
        return None
    target = share * total
    seen = 0
    for bin_, n in histogram:
        if seen + n >= target:
            return (bin_ + (target - seen) / n) * width
        seen += n
    return (histogram[-1][0] + 1) * width


def by_day(db: Session, *, scope: Scope, query: TripQuery) -> list[Count]:
    """Trips per local day of the period (every day, zero when none)."""
    reader = _reader(db, scope=scope, query=query)
    rows = db.execute(
        select(TripRollup.local_date, func.sum(TripRollup.trips))
        .where(*reader.where(TripRollup))
        .group_by(TripRollup.local_date)
    ).all()
    found = {d: int(n) for d, n in rows}
    days = [reader.first + timedelta(days=i) for i in range((reader.last - reader.first).days + 1)]
    return [Count(d.isoformat(), d.isoformat(), reader.count(found.get(d, 0))) for d in days]


def by_hour(db: Session, *, scope: Scope, query: TripQuery) -> list[Count]:
    """Trips per local hour of the day (0–23) over the period."""
    reader = _reader(db, scope=scope, query=query)
    rows = db.execute(
        select(TripRollup.hour, func.sum(TripRollup.trips))
        .where(*reader.where(TripRollup))
        .group_by(TripRollup.hour)
    ).all()
    found = {int(h): int(n) for h, n in rows}
    return [Count(str(h), f"{h:02d}:00", reader.count(found.get(h, 0))) for h in range(24)]


def by_company(db: Session, *, scope: Scope, query: TripQuery) -> list[Count]:
    """Trips per company over the period (a company's staff: their own company only)."""
    reader = _reader(db, scope=scope, query=query)
    rows = db.execute(
        select(TripRollup.company_id, func.sum(TripRollup.trips))
        .where(*reader.where(TripRollup))
        .group_by(TripRollup.company_id)
    ).all()
    found = {int(c): int(n) for c, n in rows}
    companies = cities_service.list_companies(db, city_id=reader.city.id)
    return [
        Count(c.slug, c.name, reader.count(found.get(c.id, 0)))
        for c in companies
        if reader.company_ids is None or c.id in reader.company_ids
    ]


def _district_places(db: Session, city: City, locale: str) -> list[Place]:
    """The city's districts and "outside every district", as places with no counts yet."""
    places = [
        Place(d.id, d.code, d.label(locale), "district", None, None)
        for d in districts_service.list_districts(db, city_id=city.id)
    ]
    outside = catalogue(locale).gettext("Outside every district")
    return [*places, Place(None, "outside", outside, "outside", None, None)]


def by_district(db: Session, *, scope: Scope, query: TripQuery, locale: str = "en") -> list[Place]:
    """Trips that started and that ended in each district (and outside every district)."""
    reader = _reader(db, scope=scope, query=query)
    starts: dict[int, int] = defaultdict(int)
    ends: dict[int, int] = defaultdict(int)
    for start, end, n in _od_rows(db, reader):
        starts[start] += n
        ends[end] += n
    return [
        Place(
            p.id, p.code, p.label, p.kind,
            reader.count(starts[p.id or OUTSIDE]), reader.count(ends[p.id or OUTSIDE]),
        )
        for p in _district_places(db, reader.city, locale)
    ]  # fmt: skip


def _od_rows(db: Session, reader: _Reader) -> list[tuple[int, int, int]]:
    rows = db.execute(
        select(TripRollup.start_district, TripRollup.end_district, func.sum(TripRollup.trips))
        .where(*reader.where(TripRollup))
        .group_by(TripRollup.start_district, TripRollup.end_district)
    ).all()
    return [(int(s), int(e), int(n)) for s, e, n in rows]


def origin_destination(
    db: Session, *, scope: Scope, query: TripQuery, locale: str = "en"
) -> OriginDestination:
    """The district origin-destination matrix of the period (the last place: outside)."""
    reader = _reader(db, scope=scope, query=query)
    cells = {(s, e): n for s, e, n in _od_rows(db, reader)}
    places = _district_places(db, reader.city, locale)
    keys = [p.id or OUTSIDE for p in places]
    counts = [[reader.count(cells.get((s, e), 0)) for e in keys] for s in keys]
    starts = [sum(n for (s, _), n in cells.items() if s == k) for k in keys]
    ends = [sum(n for (_, e), n in cells.items() if e == k) for k in keys]
    places = [
        Place(p.id, p.code, p.label, p.kind, reader.count(s), reader.count(e))
        for p, s, e in zip(places, starts, ends, strict=True)
    ]
    return OriginDestination(places, counts, reader.count(sum(cells.values())))


def by_zone(db: Session, *, scope: Scope, query: TripQuery) -> list[Place]:
    """Trips that started and ended in each zone (under the version in force at the time).

    Duty zones are the operator's own watch list: only the operator's staff and the city see them.
    """
    reader = _reader(db, scope=scope, query=query)
    rows = db.execute(
        select(
            TripZoneRollup.zone_id, func.sum(TripZoneRollup.starts), func.sum(TripZoneRollup.ends)
        )
        .where(*reader.where(TripZoneRollup))
        .group_by(TripZoneRollup.zone_id)
    ).all()
    zones = {
        z.id: z
        for z in db.scalars(
            select(Zone).where(Zone.city_id == reader.city.id, Zone.id.in_([r[0] for r in rows]))
        )
    }
    places = []
    for zone_id, starts, ends in rows:
        zone = zones[int(zone_id)]
        if scope.company_id is not None and zone.kind not in PUBLIC_KINDS:
            continue
        places.append(
            Place(
                zone.id,
                zone.code or "",
                zone.name,
                str(zone.kind),
                reader.count(int(starts)),
                reader.count(int(ends)),
            )  # fmt: skip
        )
    return sorted(places, key=lambda p: (-(p.starts or 0), p.label))


def heat_map(db: Session, *, scope: Scope, query: TripQuery) -> list[Cell]:
    """Trip starts and ends per grid cell; cells where both are suppressed are left out."""
    reader = _reader(db, scope=scope, query=query)
    rows = db.execute(
        select(
            TripCellRollup.cell_x,
            TripCellRollup.cell_y,
            func.sum(TripCellRollup.starts),
            func.sum(TripCellRollup.ends),
        )
        .where(*reader.where(TripCellRollup))
        .group_by(TripCellRollup.cell_x, TripCellRollup.cell_y)
    ).all()
    cells = []
    for x, y, starts, ends in rows:
        shown_starts, shown_ends = reader.count(int(starts)), reader.count(int(ends))
        if shown_starts is None and shown_ends is None:
            continue
        cells.append(
            Cell(
                south=round(y * rollup.CELL_LAT, 6),
                west=round(x * rollup.CELL_LON, 6),
                north=round((y + 1) * rollup.CELL_LAT, 6),
                east=round((x + 1) * rollup.CELL_LON, 6),
                starts=shown_starts,
                ends=shown_ends,
            )
        )
    return cells


def visible_companies(db: Session, *, scope: Scope) -> list[Company]:
    """The companies the caller may pick in the filters."""
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    return [c for c in companies if scope.company_id is None or c.id == scope.company_id]
