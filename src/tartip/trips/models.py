"""Tables of the trips domain: trips, vehicle events, telemetry and vehicles received over MDS,
the Provider pull's progress and the companies' monthly reports.

Every record has a natural key (the company plus the MDS id) under a unique constraint, and is
written with "insert, on conflict do nothing" (``tartip.db.bulk``): a re-pulled hour or a
re-sent push adds nothing twice.

A trip is personal data (where someone went, and when): the exact route and points are kept only
for the retention time the city sets (``Settings.trip_retention_days``); afterwards the retention
job blurs the points and drops the route, and the district-level figures stay.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped
from tartip.db.types import Geometry, UTCDateTime


class Trip(CityScoped, Base):
    """One trip a company reported (MDS ``trips``), from either Provider pull or Agency push.

    ``(company_id, trip_id)`` is unique: a re-pulled hour or a re-sent push adds nothing twice.
    The start and end districts are found once, at ingest, so figures by district never touch
    geometry again.
    """

    __tablename__ = "trip"
    __table_args__ = (
        UniqueConstraint("company_id", "trip_id"),
        Index("ix_trip_city_start_time", "city_id", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    # MDS ``trip_id`` (UUID) and ``device_id`` (UUID); ``vehicle_id`` is the plate or code.
    trip_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # MDS vehicle_type and the trip's propulsion, as reported.
    vehicle_type: Mapped[str] = mapped_column(String(32), default="scooter")
    # "provider" (pulled) or "agency" (pushed).
    source: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_s: Mapped[int]
    distance_m: Mapped[int]
    start_lon: Mapped[float]
    start_lat: Mapped[float]
    end_lon: Mapped[float]
    end_lat: Mapped[float]
    # The city districts the trip started and ended in (None: outside every district).
    start_district: Mapped[int | None] = mapped_column(default=None)
    end_district: Mapped[int | None] = mapped_column(default=None)
    # The route as reported (LineString, WGS 84); dropped after the retention time.
    route: Mapped[BaseGeometry | None] = mapped_column(Geometry("LineString"), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the retention job has blurred the points and dropped the route.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class VehicleEvent(CityScoped, Base):
    """One MDS vehicle event (a state change), pulled or pushed; never dropped once accepted.

    An event the MDS vehicle state machine does not allow after the vehicle's previous state is
    stored with ``flagged`` and the reason (MDS: prior-state validity is not enforced at ingest).
    ``event_types_key`` is the types joined by commas: the second natural key (same device, same
    time, same types) and a portable way to find one type (``LIKE '%maintenance_pick_up%'``).
    """

    __tablename__ = "mds_vehicle_event"
    __table_args__ = (
        UniqueConstraint("company_id", "event_id"),
        # Named by hand: the conventional name is longer than PostgreSQL's 63 characters.
        UniqueConstraint(
            "company_id",
            "device_id",
            "timestamp",
            "event_types_key",
            name="uq_mds_vehicle_event_device_time_types",
        ),
        Index("ix_mds_vehicle_event_city_timestamp", "city_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The city, without an index of its own: the (city_id, timestamp) index serves every lookup
    # by city, and one index less is a write less per row at 400,000 rows a day.
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(36))
    # The code printed on the vehicle (MDS ``vehicle_id``), when known at ingest.
    vehicle_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # MDS 2.0 ``event_id``; for 1.2 status changes (which have none), a UUID derived from the
    # device, time, state and types, so a re-pull finds the same id.
    event_id: Mapped[str] = mapped_column(String(36))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    event_types_key: Mapped[str] = mapped_column(String(255))
    vehicle_state: Mapped[str] = mapped_column(String(32))
    # The state Tartip knew before this event (None: the first event seen of the vehicle).
    previous_state: Mapped[str | None] = mapped_column(String(32), default=None)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the company published it (MDS ``publication_time``), if it says.
    publication_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # None for a geography-driven event without a location.
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    trip_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    battery_percent: Mapped[int | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(255), default=None)


class Telemetry(CityScoped, Base):
    """One MDS telemetry point of a vehicle; deleted after ``telemetry_retention_days``."""

    __tablename__ = "mds_telemetry"
    __table_args__ = (
        UniqueConstraint("company_id", "telemetry_id"),
        Index("ix_mds_telemetry_city_timestamp", "city_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The city, without an index of its own: the (city_id, timestamp) index serves every lookup
    # by city, and one index less is a write less per row at 400,000 rows a day.
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(36))
    telemetry_id: Mapped[str] = mapped_column(String(36))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    lon: Mapped[float]
    lat: Mapped[float]
    # The trips the point belongs to (empty: not on a trip).
    trip_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # GPS speed in metres per second, when given (for speed-rule checks).
    speed: Mapped[float | None] = mapped_column(default=None)
    battery_percent: Mapped[int | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MdsVehicle(CityScoped, Base):
    """A company's vehicle as MDS knows it (``device_id``), with its last known state.

    Agency pushes register it (``registered_at``); Provider pulls of ``vehicles`` and
    ``vehicles/status`` fill it too. The state is that of the latest event by time, so an event
    that arrives late never rolls it back.
    """

    __tablename__ = "mds_vehicle"
    __table_args__ = (
        UniqueConstraint("company_id", "device_id"),
        Index("ix_mds_vehicle_company_vehicle_id", "company_id", "vehicle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(36))
    vehicle_id: Mapped[str | None] = mapped_column(String(255), default=None)
    provider_id: Mapped[str | None] = mapped_column(String(36), default=None)
    vehicle_type: Mapped[str | None] = mapped_column(String(32), default=None)
    propulsion_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The other MDS vehicle fields as given (vehicle_attributes, battery_capacity, …).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(16))
    # Set when the company registered it over Agency (MDS ``POST /vehicles``).
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str | None] = mapped_column(String(32), default=None)
    state_event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    state_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    battery_percent: Mapped[int | None] = mapped_column(default=None)


class PullProgress(CityScoped, Base):
    """Where the Provider pull of one feed's endpoint stands, so a restart resumes there.

    ``next_at``: for hourly endpoints the next UTC hour to ask for; for ``events/recent`` the end
    of the last window fetched; for ``reports`` the next month. ``pending`` lists the hours that
    were not ready (202, or 404 soon after the hour), each ``{"hour", "status", "attempts",
    "retry_at"}`` (ISO 8601 UTC), asked again until ready or given up.
    """

    __tablename__ = "mds_pull_progress"
    __table_args__ = (UniqueConstraint("feed_id", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(32))
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pending: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    records_total: Mapped[int] = mapped_column(default=0)


class MdsReport(CityScoped, Base):
    """One row of a company's monthly MDS report (counts of trips and riders by group).

    ``rider_count`` None: the company suppressed a small count (MDS writes -1).
    """

    __tablename__ = "mds_report"
    __table_args__ = (
        UniqueConstraint(
            "company_id",
            "start_date",
            "duration",
            "special_group_type",
            "geography_id",
            "vehicle_type",
            name="uq_mds_report_row",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    start_date: Mapped[date]
    duration: Mapped[str] = mapped_column(String(16))
    special_group_type: Mapped[str] = mapped_column(String(64))
    # "" when the row is not about one geography.
    geography_id: Mapped[str] = mapped_column(String(36))
    vehicle_type: Mapped[str] = mapped_column(String(32))
    trip_count: Mapped[int | None] = mapped_column(default=None)
    rider_count: Mapped[int | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
