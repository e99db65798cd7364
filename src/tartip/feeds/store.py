"""Storing what a poll read, apart from the vehicles: pulls, vehicle types, stations, geofences.

These tables change rarely and hold hundreds of rows, so plain ORM objects are fine here; the
vehicles (tens of thousands of rows per poll) go through ``tartip.fleet.live`` instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tartip.core.clock import from_timestamp
from tartip.feeds import pull_slots
from tartip.feeds.adapters.base import FileReport, PullReport
from tartip.feeds.gbfs.static import (
    Geofences,
    StationInfo,
    StationStatusInfo,
    VehicleTypeInfo,
)
from tartip.feeds.models import CompanyGeofence, Feed, FeedPull
from tartip.fleet.models import Station, VehicleType

# The first problems of a pull kept on its row (all are counted).
MAX_PROBLEMS = 50


def add_pulls(db: Session, *, feed: Feed, files: list[FileReport]) -> list[FeedPull]:
    """One ``FeedPull`` row per fetch, each added to its slot's sums too."""
    pulls = [
        FeedPull(
            city_id=feed.city_id,
            feed_id=feed.id,
            file=f.file,
            url=f.url[:2000],
            started_at=f.started_at,
            outcome=f.outcome,
            http_status=f.http_status,
            latency_ms=f.latency_ms,
            bytes=f.bytes,
            records=f.records,
            records_rejected=f.records_rejected,
            schema_problems=f.schema_problems,
            error=f.error,
            problems=[{"where": p.where, "message": p.message} for p in f.problems[:MAX_PROBLEMS]],
        )
        for f in files
    ]
    db.add_all(pulls)
    pull_slots.add(db, pulls)
    return pulls


def store_static(db: Session, *, feed: Feed, report: PullReport, now: datetime) -> None:
    """Store every static part the poll re-read (the others stay as they were)."""
    if report.vehicle_types is not None:
        store_vehicle_types(db, feed=feed, types=report.vehicle_types)
    if report.stations is not None:
        store_stations(db, feed=feed, stations=report.stations)
    if report.station_status is not None:
        store_station_status(db, feed=feed, statuses=report.station_status)
    if report.geofences is not None:
        store_geofences(db, feed=feed, geofences=report.geofences, fetched_at=now)


def store_vehicle_types(db: Session, *, feed: Feed, types: list[VehicleTypeInfo]) -> None:
    """Make the feed's vehicle types exactly ``types`` (matched by ``vehicle_type_id``)."""
    existing = {
        t.vehicle_type_id: t
        for t in db.scalars(select(VehicleType).where(VehicleType.feed_id == feed.id))
    }
    for info in types:
        row = existing.pop(info.vehicle_type_id, None)
        if row is None:
            row = VehicleType(
                city_id=feed.city_id,
                company_id=feed.company_id,
                feed_id=feed.id,
                vehicle_type_id=info.vehicle_type_id,
            )
            db.add(row)
        row.form_factor = info.form_factor[:32]
        row.propulsion_type = info.propulsion_type[:32]
        row.name = info.name[:255] if info.name else None
        row.max_range_meters = info.max_range_meters
    for gone in existing.values():
        db.delete(gone)


def store_stations(db: Session, *, feed: Feed, stations: list[StationInfo]) -> None:
    """Make the feed's stations exactly ``stations``, keeping their last counts."""
    existing = {
        s.station_id: s for s in db.scalars(select(Station).where(Station.feed_id == feed.id))
    }
    for info in stations:
        row = existing.pop(info.station_id, None)
        if row is None:
            row = Station(
                city_id=feed.city_id,
                company_id=feed.company_id,
                feed_id=feed.id,
                station_id=info.station_id,
            )
            db.add(row)
        row.name = info.name[:255]
        row.lon, row.lat = info.lon, info.lat
        row.capacity = info.capacity
        row.is_virtual = info.is_virtual
    for gone in existing.values():
        db.delete(gone)


def store_station_status(db: Session, *, feed: Feed, statuses: list[StationStatusInfo]) -> None:
    """Copy each station's counts onto its row (statuses of unknown stations are ignored)."""
    rows = {s.station_id: s for s in db.scalars(select(Station).where(Station.feed_id == feed.id))}
    for status in statuses:
        row = rows.get(status.station_id)
        if row is None:
            continue
        row.num_vehicles_available = status.num_vehicles_available
        row.num_docks_available = status.num_docks_available
        if status.last_reported is not None:
            row.last_reported = from_timestamp(status.last_reported)


def station_coords(db: Session, *, feed_id: int) -> dict[str, tuple[float, float]]:
    """Each of a feed's stations' (lon, lat), for vehicles that give only a station."""
    stmt = select(Station.station_id, Station.lon, Station.lat).where(Station.feed_id == feed_id)
    return {row.station_id: (row.lon, row.lat) for row in db.execute(stmt)}


def store_geofences(db: Session, *, feed: Feed, geofences: Geofences, fetched_at: datetime) -> None:
    """Replace the feed's zones; row order is feed order (GBFS: the earlier zone wins).

    The 3.0 ``global_rules`` are kept in ``Feed.file_state`` by the service.
    """
    db.execute(delete(CompanyGeofence).where(CompanyGeofence.feed_id == feed.id))
    db.add_all(
        CompanyGeofence(
            city_id=feed.city_id,
            company_id=feed.company_id,
            feed_id=feed.id,
            name=zone.name[:255] if zone.name else None,
            geometry=zone.geometry,
            rules=zone.rules,
            fetched_at=fetched_at,
        )
        for zone in geofences.zones
    )
