"""Reading the MDS data-quality inputs: late and flagged events, trips missing their events.

A month of Almaty's MDS data is ~6 M events and ~3 M trips; counting them per company takes
seconds on either backend (measured: 1.0–1.5 s only to count the events). The shares are what
the scorecard shows, and a sample estimates them well, so a big month is read through **sample
windows**: a 30-second window every 3 hours (``WINDOW_S`` every ``WINDOW_EVERY_S``), its start
moving through the hours so every time of day is covered. Each window is one range scan of the
time index; every event (by ``timestamp``) and trip (by ``start_time``) of the month has the same
chance, 1 in 360, to be read. A small month, whose windows hold fewer than ``EXACT_BELOW ÷ 360``
rows, is read whole instead. ``docs/scorecard.md`` gives the precision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, exists, literal, or_, select
from sqlalchemy.orm import Session

from tartip.reports.period import Period
from tartip.reports.scorecard import MdsCounts
from tartip.reports.sql import shifted
from tartip.trips.models import Trip, VehicleEvent

WINDOW_S = 30
WINDOW_EVERY_S = 3 * 3600
# One row in this many is in a window.
SAMPLE_EVERY = WINDOW_EVERY_S / WINDOW_S
# Months with fewer rows than this (estimated from the windows) are read whole.
EXACT_BELOW = 20_000
# The events that open a trip (MDS 2.0; a trip begun outside the city enters it) and close it.
STARTS = ("trip_start", "trip_enter_jurisdiction")
ENDS = ("trip_end", "trip_leave_jurisdiction", "trip_cancel")
# A trip's events are looked for this long before its start and after its end.
EVENT_MARGIN_S = 3600


def windows(period: Period) -> Iterator[tuple[datetime, datetime]]:
    """The sample windows of the period: one every ``WINDOW_EVERY_S``, moving within it."""
    k = 0
    while True:
        offset = (k * 1237) % (WINDOW_EVERY_S - WINDOW_S)
        begin = period.start + timedelta(seconds=k * WINDOW_EVERY_S + offset)
        if begin >= period.until:
            return
        yield begin, min(begin + timedelta(seconds=WINDOW_S), period.until)
        k += 1


@dataclass
class _Tally:
    events: int = 0
    late: int = 0
    flagged: int = 0
    trips: int = 0
    missing: int = 0


def mds_counts(
    db: Session, *, city_id: int, period: Period, late_after_s: float
) -> dict[int, MdsCounts]:
    """Each company's checked MDS events and trips of the month, and the faulty ones."""
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    sample_share: dict[str, float] = {}
    for name, read in (("events", _read_events), ("trips", _read_trips)):
        sampled = read(db, city_id=city_id, period=period, whole=False)
        rows = sampled
        if len(sampled) * SAMPLE_EVERY < EXACT_BELOW:  # a small month: read it whole
            rows = read(db, city_id=city_id, period=period, whole=True)
        sample_share[name] = 1 / SAMPLE_EVERY if rows is sampled else 1.0
        for company_id, *values in rows:
            _count(tallies[int(company_id)], name, values, late_after_s)
    return {
        company_id: MdsCounts(
            events=t.events,
            late=t.late,
            flagged=t.flagged,
            trips_checked=t.trips,
            trips_missing_events=t.missing,
            sample_share=min(sample_share.values()),
        )
        for company_id, t in tallies.items()
    }


def _count(tally: _Tally, name: str, values: list[Any], late_after_s: float) -> None:
    if name == "events":
        timestamp, received, flagged = values
        tally.events += 1
        tally.late += (received - timestamp).total_seconds() > late_after_s
        tally.flagged += bool(flagged)
    else:
        tally.trips += 1
        tally.missing += not values[0]


def _read_events(db: Session, *, city_id: int, period: Period, whole: bool) -> list[Any]:
    e = VehicleEvent
    stmt = select(e.company_id, e.timestamp, e.received_at, e.flagged).where(e.city_id == city_id)
    return _in_windows(db, stmt, e.timestamp, period, whole)


def _read_trips(db: Session, *, city_id: int, period: Period, whole: bool) -> list[Any]:
    complete = and_(_has_event(STARTS), _has_event(ENDS))
    stmt = select(Trip.company_id, case((complete, True), else_=False)).where(
        Trip.city_id == city_id
    )
    return _in_windows(db, stmt, Trip.start_time, period, whole)


def _in_windows(
    db: Session, stmt: Select[*tuple[Any, ...]], column: Any, period: Period, whole: bool
) -> list[Any]:
    """The rows of ``stmt`` in the whole period, or in its sample windows (one scan each)."""
    if whole:
        return list(db.execute(stmt.where(column >= period.start, column < period.until)))
    rows: list[Any] = []
    for begin, end in windows(period):
        rows += db.execute(stmt.where(column >= begin, column < end)).all()
    return rows


def _has_event(types: tuple[str, ...]) -> ColumnElement[bool]:
    """An event of the trip's vehicle around the trip, of one of ``types``, naming the trip."""
    e = VehicleEvent
    named = cast(e.trip_ids, String).like(literal("%") + Trip.trip_id + literal("%"))
    kinds = or_(*(e.event_types_key.like(f"%{t.replace('_', '/_')}%", escape="/") for t in types))
    return exists().where(
        e.company_id == Trip.company_id,
        e.device_id == Trip.device_id,
        e.timestamp >= shifted(Trip.start_time, -EVENT_MARGIN_S),
        e.timestamp <= shifted(Trip.end_time, EVENT_MARGIN_S),
        kinds,
        named,
    )
