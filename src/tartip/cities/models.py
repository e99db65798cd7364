"""Cities (the tenants) and the sharing companies that operate in them."""

from __future__ import annotations

from shapely.geometry.base import BaseGeometry
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import Geometry


class City(Timestamped, Base):
    """A city that appointed a unified operator; every city-owned row points here."""

    __tablename__ = "city"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    default_locale: Mapped[str] = mapped_column(String(8), default="ru")
    boundary: Mapped[BaseGeometry | None] = mapped_column(Geometry("MultiPolygon"), default=None)
    center_lon: Mapped[float]
    center_lat: Mapped[float]


class Company(CityScoped, Timestamped, Base):
    """A sharing company (MDS *provider*, GBFS *system*) operating in one city."""

    __tablename__ = "company"
    __table_args__ = (UniqueConstraint("city_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # The colour of its vehicles on the map (CSS hex), so supervisors tell fleets apart.
    colour: Mapped[str] = mapped_column(String(16), default="#555555")
    mds_provider_id: Mapped[str | None] = mapped_column(String(36), default=None)
