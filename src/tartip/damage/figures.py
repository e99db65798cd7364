"""Damage figures per company and month (city time): vehicles found, handed over, time to collect.

- *found*: cases opened (a damaged vehicle first reported) in the month;
- *handed over*: handovers made in the month, those the operator withdrew (cancelled: a wrong
  report) left out — every figure of handovers (report, dashboards, scorecard, public page)
  counts this way;
- *collected*, *median* and *p90*: of the handovers made in the month, those collected so far and
  the hours from handover to collection (one resolved without a collection time left the street
  when it was resolved: the scorecard and the report count it so too). The 90th percentile is
  the nearest-rank one (the value below which 90 % of the times fall, taken from the times
  themselves). A vehicle the company had
  already taken before it was handed over counts as 0 hours.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.errors import InvalidInput, NotFound, Problem
from tartip.damage import service
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import DamageCase, Handover
from tartip.damage.schemas import FigureRow, FiguresRead


def month_start(month: str) -> date:
    """The first day of a ``YYYY-MM`` month, or ``InvalidInput``."""
    try:
        year, number = (int(part) for part in month.split("-"))
        return date(year, number, 1)
    except ValueError as exc:
        problem = Problem("month", f"{month!r} is not a month (YYYY-MM)")
        raise InvalidInput("not a month", problems=[problem]) from exc


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    """The ``YYYY-MM`` a moment falls in, in city time."""
    return moment.astimezone(zone).strftime("%Y-%m")


def nearest_rank(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    """The median, None when empty."""
    return statistics.median(values) if values else None


def hours_to_collect(
    handed_over_at: datetime, collected_at: datetime | None, resolved_at: datetime | None
) -> float | None:
    """Hours from a handover until the vehicle left the street; None while it is still there.

    Resolved without a collection time is off the street when resolved; a vehicle taken before
    the handover counts as 0 hours. The report and the scorecard count it so too.
    """
    off_street = collected_at or resolved_at
    if off_street is None:
        return None
    return max(0.0, (off_street - handed_over_at).total_seconds() / 3600)


@dataclass
class _Cell:
    found: int = 0
    handed_over: int = 0
    hours: list[float] = field(default_factory=list)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def figures(
    db: Session, *, scope: Scope, since: str, until: str, company: str | None = None
) -> FiguresRead:
    """Figures for the months ``since``..``until`` (inclusive), per company, in city time."""
    service.require_viewer(scope)
    first, last = month_start(since), month_start(until)
    if last < first:
        raise InvalidInput("the period ends before it starts", problems=[Problem("until", until)])
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("no such city")
    zone = ZoneInfo(city.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(next_month(last), time(0), tzinfo=zone)
    companies = {c.id: c.slug for c in cities_service.list_companies(db, city_id=scope.city_id)}
    chosen = _chosen(scope, companies, company)
    cells: dict[tuple[str, int | None], _Cell] = {}
    found = select(DamageCase.company_id, DamageCase.first_reported_at).where(
        DamageCase.city_id == scope.city_id,
        DamageCase.first_reported_at >= start,
        DamageCase.first_reported_at < end,
    )
    for company_id, at in db.execute(found):
        if chosen is None or company_id in chosen:
            cells.setdefault((month_of(at, zone), company_id), _Cell()).found += 1
    handed = select(
        Handover.company_id, Handover.handed_over_at, Handover.collected_at, Handover.resolved_at
    ).where(
        Handover.city_id == scope.city_id,
        Handover.handed_over_at >= start,
        Handover.handed_over_at < end,
        Handover.status != HandoverStatus.cancelled,
    )
    for company_id, at, collected, resolved in db.execute(handed):
        if chosen is not None and company_id not in chosen:
            continue
        cell = cells.setdefault((month_of(at, zone), company_id), _Cell())
        cell.handed_over += 1
        took = hours_to_collect(at, collected, resolved)
        if took is not None:
            cell.hours.append(took)
    rows = _rows(cells, companies)
    return FiguresRead(since=first.strftime("%Y-%m"), until=last.strftime("%Y-%m"), rows=rows)


def _chosen(scope: Scope, companies: dict[int, str], slug: str | None) -> set[int | None] | None:
    """The companies the figures cover: a representative's own, one asked for, or all."""
    if scope.company_id is not None:
        return {scope.company_id}
    if slug:
        ids: set[int | None] = {cid for cid, s in companies.items() if s == slug}
        if not ids:
            raise NotFound(f"no company {slug!r} in this city")
        return ids
    return None


def _rows(cells: dict[tuple[str, int | None], _Cell], companies: dict[int, str]) -> list[FigureRow]:
    def order(key: tuple[str, int | None]) -> tuple[str, str]:
        month, company_id = key
        return month, companies.get(company_id, "~") if company_id is not None else "~"

    rows = []
    for key in sorted(cells, key=order):
        month, company_id = key
        cell = cells[key]
        hours = cell.hours
        rows.append(
            FigureRow(
                month=month,
                company=companies.get(company_id) if company_id is not None else None,
                found=cell.found,
                handed_over=cell.handed_over,
                collected=len(hours),
                collect_median_h=_round(median(hours)),
                collect_p90_h=_round(nearest_rank(hours, 0.9)),
            )
        )
    return rows


def months_back(today: date, count: int) -> tuple[str, str]:
    """The ``count`` months up to and including ``today``'s, as (since, until)."""
    year, month = today.year, today.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}", today.strftime("%Y-%m")


def totals(rows: Iterable[FigureRow]) -> dict[str, int]:
    """Found, handed over and collected over all rows."""
    out = {"found": 0, "handed_over": 0, "collected": 0}
    for row in rows:
        out["found"] += row.found
        out["handed_over"] += row.handed_over
        out["collected"] += row.collected
    return out
