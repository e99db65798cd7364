"""Tables of the city's picture of trips: daily rollups that every trip figure is read from.

A month of Almaty's trips is about 3,000,000 rows; the dashboard must answer in well under two
seconds on SQLite too, so figures never scan ``trip``. The ``trips.rollup`` job rebuilds whole
local days from ``trip`` (delete the day, insert its aggregates), so a day's rollup always equals
a fresh count of its trips: re-running it, or re-pulling an hour, never counts a trip twice.
The unique constraints (``uq_<table>_grain``, named by hand: the generated names pass
PostgreSQL's 63-character limit) make a double insert fail loudly instead of double-counting.
``docs/decisions/0060-trip-statistics-rollups-and-districts.md`` explains the design.

District columns hold ``0`` for "outside every district" (district ids start at 1), so that the
unique constraints hold on both databases (NULLs never clash in a unique constraint).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped
from tartip.db.types import UTCDateTime
from tartip.trips.models import Trip

# The rollup job finds new trips by ``received_at``; without this index each run would scan every
# trip of the city. Declared here (the rollup's need) and created by migration 3a0f1c2d4e07.
Index("ix_trip_city_received_at", Trip.city_id, Trip.received_at)

OUTSIDE = 0  # the district column's value for "outside every district"


class TripRollup(CityScoped, Base):
    """Trips of one local day and hour, company, start district and end district."""

    __tablename__ = "trip_rollup"
    __table_args__ = (
        UniqueConstraint(
            "city_id",
            "local_date",
            "company_id",
            "hour",
            "start_district",
            "end_district",
            name="uq_trip_rollup_grain",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    # The day and hour (0–23) in the city's time zone when the trips started.
    local_date: Mapped[date] = mapped_column(Date)
    hour: Mapped[int]
    start_district: Mapped[int]
    end_district: Mapped[int]
    trips: Mapped[int]
    duration_s: Mapped[int] = mapped_column(BigInteger)
    distance_m: Mapped[int] = mapped_column(BigInteger)


class TripMeasureRollup(CityScoped, Base):
    """A day's histogram of trip durations or distances per company (for medians and p90)."""

    __tablename__ = "trip_measure_rollup"
    __table_args__ = (
        UniqueConstraint(
            "city_id",
            "local_date",
            "company_id",
            "measure",
            "bin",
            name="uq_trip_measure_rollup_grain",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    # "duration" (bins of DURATION_BIN_S seconds) or "distance" (bins of DISTANCE_BIN_M metres).
    measure: Mapped[str] = mapped_column(String(16))
    bin: Mapped[int]
    trips: Mapped[int]


class TripZoneRollup(CityScoped, Base):
    """A day's trips per company that started or ended in a zone in force at that moment."""

    __tablename__ = "trip_zone_rollup"
    __table_args__ = (
        UniqueConstraint(
            "city_id", "local_date", "company_id", "zone_id", name="uq_trip_zone_rollup_grain"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    starts: Mapped[int]
    ends: Mapped[int]


class TripCellRollup(CityScoped, Base):
    """A day's trip starts and ends per company in one cell of the heat-map grid."""

    __tablename__ = "trip_cell_rollup"
    __table_args__ = (
        UniqueConstraint(
            "city_id",
            "local_date",
            "company_id",
            "cell_x",
            "cell_y",
            name="uq_trip_cell_rollup_grain",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    # floor(lon / CELL_LON), floor(lat / CELL_LAT): the grid is global and fixed.
    cell_x: Mapped[int]
    cell_y: Mapped[int]
    starts: Mapped[int]
    ends: Mapped[int]


class TripRollupState(CityScoped, Base):
    """Where the rollup job stands in a city: trips received up to ``watermark`` are rolled up."""

    __tablename__ = "trip_rollup_state"
    __table_args__ = (UniqueConstraint("city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Local days (ISO dates) that received trips but are not rebuilt yet (a backlog is worked
    # off a few days per run).
    pending_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    rolled_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    days_rebuilt: Mapped[int] = mapped_column(default=0)
