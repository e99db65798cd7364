"""The live fleet picture: vehicle types, each vehicle's last known state, and its changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.db.base import Base, CityScoped
from tartip.db.types import UTCDateTime
from tartip.fleet.enums import ChangeKind, VehicleStatus


class VehicleType(CityScoped, Base):
    """A kind of vehicle a company publishes (GBFS ``vehicle_types``)."""

    __tablename__ = "vehicle_type"
    __table_args__ = (UniqueConstraint("feed_id", "vehicle_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    vehicle_type_id: Mapped[str] = mapped_column(String(255))
    form_factor: Mapped[str] = mapped_column(String(32))
    propulsion_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    max_range_meters: Mapped[float | None] = mapped_column(default=None)


class Vehicle(CityScoped, Base):
    """A vehicle's last known state, as its company's feed last showed it.

    ``vehicle_id`` is the feed's id. GBFS 2.0+ rotates it after every trip, so a row is one
    vehicle *between two trips*; Tartip never guesses that two ids are the same scooter.
    """

    __tablename__ = "vehicle"
    __table_args__ = (
        UniqueConstraint("feed_id", "vehicle_id"),
        Index("ix_vehicle_city_in_feed", "city_id", "in_feed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str] = mapped_column(String(255))
    vehicle_type_id: Mapped[str | None] = mapped_column(String(255), default=None)
    lon: Mapped[float]
    lat: Mapped[float]
    status: Mapped[VehicleStatus] = mapped_column(String(16))
    current_range_meters: Mapped[float | None] = mapped_column(default=None)
    current_fuel_percent: Mapped[float | None] = mapped_column(default=None)
    station_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # When the company says the vehicle last reported (GBFS ``last_reported``), if it says.
    last_reported: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last poll whose snapshot contained this vehicle.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # False once the vehicle left the feed; kept a while so a return is recognised.
    in_feed: Mapped[bool] = mapped_column(default=True)
    # True while its feed is down or stale: the last state is kept, not dropped.
    is_stale: Mapped[bool] = mapped_column(default=False)


class VehicleChange(CityScoped, Base):
    """One change in a vehicle's state between two snapshots (the history of the live picture)."""

    __tablename__ = "vehicle_change"
    __table_args__ = (
        Index("ix_vehicle_change_feed_vehicle", "feed_id", "vehicle_id"),
        Index("ix_vehicle_change_city_at", "city_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[ChangeKind] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    lon: Mapped[float]
    lat: Mapped[float]
    status: Mapped[VehicleStatus] = mapped_column(String(16))
    previous_status: Mapped[VehicleStatus | None] = mapped_column(String(16), default=None)
    moved_m: Mapped[float | None] = mapped_column(default=None)


class Station(CityScoped, Base):
    """A station or parking hub a company publishes (GBFS station_information + station_status)."""

    __tablename__ = "station"
    __table_args__ = (UniqueConstraint("feed_id", "station_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    station_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lon: Mapped[float]
    lat: Mapped[float]
    capacity: Mapped[int | None] = mapped_column(default=None)
    is_virtual: Mapped[bool] = mapped_column(default=False)
    num_vehicles_available: Mapped[int | None] = mapped_column(default=None)
    num_docks_available: Mapped[int | None] = mapped_column(default=None)
    last_reported: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
