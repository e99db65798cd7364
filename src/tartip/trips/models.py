"""Tables of the trips domain: trips and vehicle events received over MDS.

A trip is personal data (where someone went, and when): the exact route and points are kept only
for the retention time the city sets (``Settings.trip_retention_days``); afterwards the retention
job blurs the points and drops the route, and the district-level figures stay.
"""

from __future__ import annotations

from datetime import datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
