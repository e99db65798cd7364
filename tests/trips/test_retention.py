"""Retention: old trips lose their exact places and route, trip events are blurred."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shapely.geometry import LineString
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.jobs import JobContext
from tartip.settings import Settings
from tartip.trips import ingest, jobs, retention
from tartip.trips.models import Telemetry, Trip, VehicleEvent
from tartip.trips.records import EventRecord, TelemetryRecord, TripRecord
from tests import builders
from tests.trips import mds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def store_ride(db: Session, city: City, company_id: int, start: datetime) -> str:
    device = mds.new_id()
    made = TripRecord(
        trip_id=mds.new_id(), device_id=device, start_ms=mds.ms(start),
        end_ms=mds.ms(start + timedelta(minutes=10)), duration_s=600, distance_m=2100,
        start_lon=76.928612, start_lat=43.256734, end_lon=76.945049, end_lat=43.238012,
        route=[(76.928612, 43.256734), (76.935, 43.25), (76.945049, 43.238012)],
    )  # fmt: skip
    common = {"city_id": city.id, "company_id": company_id, "source": "agency", "now": NOW}
    ingest.store_trips(db, trips=[made], **common)
    events = [
        EventRecord(
            mds.new_id(),
            device,
            ["trip_start"],
            "on_trip",
            made.start_ms,
            76.928612,
            43.256734,
            [made.trip_id],
        ),
        EventRecord(
            mds.new_id(),
            device,
            ["trip_end"],
            "available",
            made.end_ms,
            76.945049,
            43.238012,
            [made.trip_id],
        ),
        EventRecord(
            mds.new_id(),
            device,
            ["battery_low"],
            "non_operational",
            made.end_ms + 60_000,
            76.945049,
            43.238012,
        ),
    ]
    ingest.store_events(db, events=events, **common)
    point = TelemetryRecord(
        mds.new_id(), device, made.start_ms + 60_000, 76.93, 43.25, [made.trip_id]
    )
    ingest.store_telemetry(db, points=[point], **common)
    return made.trip_id


def test_old_trips_are_blurred_and_old_telemetry_deleted(db: Session, city: City):
    company = builders.company(db, city, "whoosh")
    old = store_ride(db, city, company.id, NOW - timedelta(days=91))
    recent = store_ride(db, city, company.id, NOW - timedelta(days=3))

    done = retention.apply(db, city_id=city.id, now=NOW, trip_days=90, telemetry_days=7)
    db.expire_all()

    assert (done.trips_blurred, done.events_blurred, done.telemetry_deleted) == (1, 2, 1)
    blurred = db.scalars(select(Trip).where(Trip.trip_id == old)).one()
    assert (blurred.start_lon, blurred.start_lat, blurred.end_lon, blurred.end_lat) == (
        76.929,
        43.257,
        76.945,
        43.238,
    )
    assert blurred.route is None and blurred.anonymised_at == NOW
    assert blurred.start_district is not None and blurred.duration_s == 600  # figures stay
    kept = db.scalars(select(Trip).where(Trip.trip_id == recent)).one()
    assert (
        isinstance(kept.route, LineString)
        and kept.start_lon == 76.928612
        and kept.anonymised_at is None
    )
    places = {
        (e.event_types_key, e.lon)
        for e in db.scalars(
            select(VehicleEvent).where(VehicleEvent.timestamp < NOW - timedelta(days=90))
        )
    }
    assert places == {("trip_start", 76.929), ("trip_end", 76.945), ("battery_low", 76.945049)}
    assert db.scalars(select(Telemetry.timestamp)).all() == [
        NOW - timedelta(days=3) + timedelta(minutes=1)
    ]

    again = retention.apply(db, city_id=city.id, now=NOW, trip_days=90, telemetry_days=7)
    assert again.trips_blurred == 0 and again.telemetry_deleted == 0


def test_the_job_remembers_its_cutoff_only_once_committed(
    db: Session, city: City, settings: Settings
):
    ctx = JobContext(settings=settings, http=None)
    jobs.apply_retention(ctx, db, city)
    assert ctx.state[jobs.RETENTION_MARK] == {}
    db.commit()  # a savepoint in tests: still fires after_commit
    assert city.id in ctx.state[jobs.RETENTION_MARK]
