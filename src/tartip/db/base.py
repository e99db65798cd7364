"""The declarative base, its naming convention and the mixins every table uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from tartip.core.clock import utcnow
from tartip.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; the naming convention keeps constraint names equal on both databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    """Adds ``created_at`` (UTC)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CityScoped:
    """Adds an indexed ``city_id``: the row belongs to one city (the tenant)."""

    @declared_attr
    def city_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        """The owning city."""
        return mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
