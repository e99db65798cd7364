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


class District(CityScoped, Base):
    """An administrative district of a city (Almaty has 8); trips are counted by district.

    Districts come from the city's shipped boundaries when the city is seeded; their ids are what
    ``Trip.start_district`` / ``end_district`` hold.
    """

    __tablename__ = "district"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable lowercase code (``almaly``), the same in every language.
    code: Mapped[str] = mapped_column(String(64))
    # The English name; ``name_ru`` / ``name_kk`` are the official names shown in those locales.
    name: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200), default="")
    name_kk: Mapped[str] = mapped_column(String(200), default="")
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry("MultiPolygon"))

    def label(self, locale: str) -> str:
        """The district's name in ``locale`` (English when that name is missing)."""
        localised = {"ru": self.name_ru, "kk": self.name_kk}.get(locale, "")
        return localised or self.name
