"""Retention of personal data in trips: exact places are blurred, telemetry is deleted.

A trip says where someone went and when. After ``Settings.trip_retention_days`` (counted from the
trip's end) the retention job

- rounds the trip's start and end to 3 decimal places (0.001° ≈ 111 m north-south, ≈ 81 m
  east-west in Almaty), drops its route and sets ``anonymised_at``; the districts, times,
  duration and distance stay, so every figure by district, hour or company still adds up;
- rounds the same way the places of the trip events (``trip_start``, ``trip_end``, …), which
  would otherwise give the exact start and end back.

Telemetry (a vehicle's track, in trips too) is deleted after ``telemetry_retention_days``.
The decision and its reasons are in ``docs/decisions/0071-trip-retention.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Numeric, cast, delete, func, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from tartip.trips.models import Telemetry, Trip, VehicleEvent

# Decimal places kept: 3 ≈ 100 m.
PLACES = 3


@dataclass
class Retained:
    """What one retention run changed."""

    trips_blurred: int
    events_blurred: int
    telemetry_deleted: int


def _rounded(column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[float]:
    # PostgreSQL rounds to decimal places only for numeric; SQLite's CAST is harmless.
    rounded: ColumnElement[float] = func.round(cast(column, Numeric), PLACES)
    return rounded


def blur_trips(
    db: Session, *, city_id: int, before: datetime, after: datetime | None, now: datetime
) -> int:
    """Blur the trips that ended before ``before`` (and after ``after``, when known)."""
    stmt = (
        update(Trip)
        .where(Trip.city_id == city_id, Trip.end_time < before, Trip.anonymised_at.is_(None))
        .values(
            start_lon=_rounded(Trip.start_lon),
            start_lat=_rounded(Trip.start_lat),
            end_lon=_rounded(Trip.end_lon),
            end_lat=_rounded(Trip.end_lat),
            route=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if after is not None:
        # Trips last less than a day; the start-time index then bounds the scan.
        stmt = stmt.where(Trip.start_time >= after - timedelta(days=1))
    return int(getattr(db.execute(stmt), "rowcount", 0) or 0)


def blur_trip_events(db: Session, *, city_id: int, before: datetime, after: datetime | None) -> int:
    """Round the places of trip events older than ``before`` (and newer than ``after``)."""
    conditions = [
        VehicleEvent.city_id == city_id,
        VehicleEvent.timestamp < before,
        VehicleEvent.event_types_key.like("%trip\\_%", escape="\\"),
        VehicleEvent.lon.is_not(None),
    ]
    if after is not None:
        conditions.append(VehicleEvent.timestamp >= after)
    stmt = (
        update(VehicleEvent)
        .where(*conditions)
        .values(lon=_rounded(VehicleEvent.lon), lat=_rounded(VehicleEvent.lat))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(db.execute(stmt), "rowcount", 0) or 0)


def delete_telemetry(db: Session, *, city_id: int, before: datetime) -> int:
    """Delete telemetry points older than ``before``."""
    stmt = delete(Telemetry).where(Telemetry.city_id == city_id, Telemetry.timestamp < before)
    return int(
        getattr(db.execute(stmt.execution_options(synchronize_session=False)), "rowcount", 0) or 0
    )


def apply(
    db: Session,
    *,
    city_id: int,
    now: datetime,
    trip_days: int,
    telemetry_days: int,
    since: datetime | None = None,
) -> Retained:
    """Apply the retention rules as of ``now``; ``since`` is the previous run's cut-off, if known.

    Blurring is idempotent (rounded values round to themselves), so ``since`` only bounds the
    work: without it (the first run after a start) every older row is looked at once.
    """
    trips_before = now - timedelta(days=trip_days)
    return Retained(
        trips_blurred=blur_trips(db, city_id=city_id, before=trips_before, after=since, now=now),
        events_blurred=blur_trip_events(db, city_id=city_id, before=trips_before, after=since),
        telemetry_deleted=delete_telemetry(
            db, city_id=city_id, before=now - timedelta(days=telemetry_days)
        ),
    )
