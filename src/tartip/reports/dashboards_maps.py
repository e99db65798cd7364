"""The city view's maps: violations in hex bins by hour of the day, complaints by district.

A violation is placed where it was detected and counted in the local hour it *opened*
(Asia/Almaty), the moment the disorder appeared; a complaint in the district of the place it is
about (``cities.districts``: the same locator the trip statistics use), counted like
``complaints.figures`` counts it: received in the period, open and overdue as of now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import districts as cities_districts
from tartip.cities.models import City
from tartip.complaints import access as complaints_access
from tartip.complaints.enums import OPEN, ComplaintStatus
from tartip.complaints.models import Complaint
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.errors import InvalidInput, Problem
from tartip.reports.dashboards_city import require_city_view
from tartip.reports.dashboards_hex import HexBin, HexGrid
from tartip.reports.period import local_midnight
from tartip.reports.reading import PARKING_KINDS

MAX_MAP_DAYS = 366
DEFAULT_MAP_DAYS = 28
HEX_SIZES_M = (100, 250, 500, 1000)
DEFAULT_HEX_M = 250
OUTSIDE = "outside"  # the key of complaints in no district


class MapLayer(StrEnum):
    """Which violations a hex map counts."""

    clutter = "clutter"  # clutters only: the disorder scouts tidy
    parking = "parking"  # every violation of where a vehicle was left
    all = "all"


LAYER_KINDS: dict[MapLayer, tuple[ViolationKind, ...]] = {
    MapLayer.clutter: (ViolationKind.clutter,),
    MapLayer.parking: PARKING_KINDS,
    MapLayer.all: tuple(ViolationKind),
}


@dataclass(frozen=True)
class MapPeriod:
    """Whole local days ``first``..``last`` (inclusive) as UTC instants ``[start, end)``."""

    first: date
    last: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HexMap:
    """Violations of one layer in a period, binned, for one local hour of the day or all."""

    layer: MapLayer
    period: MapPeriod
    hour: int | None
    size_m: int
    bins: tuple[HexBin, ...]
    by_hour: tuple[int, ...]  # 24 counts by local hour of opening, for the whole period

    @property
    def total(self) -> int:
        """Violations on the map (of the chosen hour, if one was chosen)."""
        return sum(b.count for b in self.bins)


@dataclass(frozen=True)
class DistrictRow:
    """Complaints received about places in one district: all, open now, overdue now."""

    key: str  # the district's code, or ``OUTSIDE``
    name: str  # in the caller's language where the city has it
    total: int
    open: int
    overdue: int


@dataclass(frozen=True)
class DistrictComplaints:
    """Complaints of a period by district, most first; those in no district last."""

    period: MapPeriod
    rows: tuple[DistrictRow, ...]

    @property
    def total(self) -> int:
        """Every complaint received in the period."""
        return sum(r.total for r in self.rows)


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a day: write it as YYYY-MM-DD",
            problems=[Problem(where, "expected YYYY-MM-DD")],
        ) from None


def map_period(*, first: str | None, last: str | None, now: datetime, timezone: str) -> MapPeriod:
    """The days asked for (default: the last four weeks up to today), checked."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    end_day = _day(last, "query.last") if last else today
    start_day = _day(first, "query.first") if first else end_day - timedelta(DEFAULT_MAP_DAYS - 1)
    if end_day < start_day:
        raise InvalidInput(
            f"the period ends ({end_day}) before it starts ({start_day})",
            problems=[Problem("query.last", "on or after first")],
        )
    if (end_day - start_day).days + 1 > MAX_MAP_DAYS:
        raise InvalidInput(
            f"{(end_day - start_day).days + 1} days asked for: at most {MAX_MAP_DAYS}",
            problems=[Problem("query.first", f"at most {MAX_MAP_DAYS} days before last")],
        )
    return MapPeriod(
        first=start_day,
        last=end_day,
        start=local_midnight(start_day, timezone),
        end=local_midnight(end_day + timedelta(days=1), timezone),
    )


def hex_map(
    db: Session,
    *,
    scope: Scope,
    city: City,
    period: MapPeriod,
    layer: MapLayer = MapLayer.clutter,
    hour: int | None = None,
    size_m: int = DEFAULT_HEX_M,
) -> HexMap:
    """Violations of ``layer`` opened in the period, in hexagons of ``size_m``, for ``hour``."""
    require_city_view(scope)
    if hour is not None and not 0 <= hour <= 23:
        raise InvalidInput(
            f"hour {hour} is not an hour of the day", problems=[Problem("query.hour", "0..23")]
        )
    if size_m not in HEX_SIZES_M:
        raise InvalidInput(
            f"a hexagon of {size_m} m is not offered: choose one of {HEX_SIZES_M}",
            problems=[Problem("query.size", "one of " + ", ".join(map(str, HEX_SIZES_M)))],
        )
    v = Violation
    stmt = select(v.lon, v.lat, v.opened_at).where(
        v.city_id == city.id,
        v.kind.in_([k.value for k in LAYER_KINDS[layer]]),
        v.opened_at >= period.start,
        v.opened_at < period.end,
    )
    rows = db.execute(stmt).all()
    tz = ZoneInfo(city.timezone)
    # Per row, not by a fixed offset: a city's offset can change (Almaty's did in March 2024).
    hours = np.array([r.opened_at.astimezone(tz).hour for r in rows], dtype=np.int64)
    lons = np.array([r.lon for r in rows], dtype=np.float64)
    lats = np.array([r.lat for r in rows], dtype=np.float64)
    chosen = hours == hour if hour is not None else np.ones(len(rows), dtype=bool)
    grid = HexGrid(city.center_lon, city.center_lat, float(size_m))
    return HexMap(
        layer=layer,
        period=period,
        hour=hour,
        size_m=size_m,
        bins=tuple(grid.bin(lons[chosen], lats[chosen])),
        by_hour=tuple(int(n) for n in np.bincount(hours, minlength=24)),
    )


def _district_name(name: str, name_ru: str, name_kk: str, locale: str) -> str:
    return {"ru": name_ru, "kk": name_kk}.get(locale) or name


def district_complaints(
    db: Session, *, scope: Scope, city: City, period: MapPeriod, now: datetime, locale: str
) -> DistrictComplaints:
    """Complaints received in the period by the district of their place (every district shown)."""
    require_city_view(scope)
    stmt = select(Complaint.lon, Complaint.lat, Complaint.status, Complaint.due_at).where(
        *complaints_access.scope_clauses(scope),
        Complaint.received_at >= period.start,
        Complaint.received_at < period.end,
    )
    found = db.execute(stmt).all()
    located = cities_districts.locator(db, city.id).locate(
        [r.lon for r in found], [r.lat for r in found]
    )
    tallies: dict[int | None, list[int]] = {}
    for row, district_id in zip(found, located, strict=True):
        tally = tallies.setdefault(district_id, [0, 0, 0])
        is_open = ComplaintStatus(row.status) in OPEN
        tally[0] += 1
        tally[1] += is_open
        tally[2] += is_open and row.due_at < now
    rows = [
        DistrictRow(
            d.code,
            _district_name(d.name, d.name_ru, d.name_kk, locale),
            *tallies.get(d.id, [0] * 3),
        )
        for d in cities_districts.list_districts(db, city_id=city.id)
    ]
    rows.sort(key=lambda r: (-r.total, r.name))
    if None in tallies:
        rows.append(DistrictRow(OUTSIDE, "", *tallies[None]))
    return DistrictComplaints(period=period, rows=tuple(rows))
