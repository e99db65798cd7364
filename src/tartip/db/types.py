"""Column types whose storage differs by database: the only place SQLite and PostgreSQL differ.

- ``UTCDateTime`` refuses naive datetimes and gives back aware UTC on both backends.
- ``Geometry`` is a PostGIS ``geometry(<kind>, 4326)`` on PostgreSQL (so QGIS and SQL can use it),
  and WKB in a BLOB on SQLite. Both give back Shapely geometries; predicates run in Shapely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

SRID = 4326


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; naive datetimes are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Aware datetimes only, converted to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Aware UTC, whatever the backend gave back."""
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset: what we stored was UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _PostGISGeometry(UserDefinedType[Any]):
    """``geometry(<kind>, 4326)``; values travel as hex EWKB, which PostGIS reads and writes."""

    cache_ok = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_col_spec(self, **_kw: Any) -> str:
        """The PostGIS column type."""
        return f"geometry({self.kind}, {SRID})"


class Geometry(TypeDecorator[BaseGeometry]):
    """A WGS84 geometry: PostGIS on PostgreSQL, WKB on SQLite, Shapely in Python."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, kind: str = "Geometry") -> None:
        super().__init__()
        self.kind = kind

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """PostGIS geometry on PostgreSQL, a BLOB elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry(self.kind))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        """Hex EWKB for PostGIS, WKB bytes for SQLite."""
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, _dialect: Dialect) -> BaseGeometry | None:
        """A Shapely geometry (Shapely reads both hex EWKB and WKB)."""
        if value is None:
            return None
        geom: BaseGeometry = shapely.from_wkb(value)
        return geom
