"""Idempotent bulk inserts: "insert, and skip what is already there" on both databases.

MDS records have natural keys (a company's ``trip_id``, ``event_id``, …) under unique
constraints; a re-pulled hour or a re-sent push must add nothing twice. ``insert_new`` writes a
batch with ``ON CONFLICT DO NOTHING`` (every unique constraint of the table counts) and returns how
many rows were new.

- PostgreSQL: one statement per batch over one JSON parameter (``json_to_recordset``), as
  ``tartip.db.bulk.insert_many`` does, plus the conflict clause. Geometries travel as hex EWKB.
- SQLite: ``INSERT … ON CONFLICT DO NOTHING`` run with the driver's executemany (native and
  fast there), values converted by each column type's own bind processor; the row count is the
  sum over the batch.

This is the storage adapter's dialect difference for the trips domain; it belongs beside
``tartip.db.bulk`` and can move there when another domain needs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from tartip.db.types import SRID, Geometry, UTCDateTime

# Rows per statement: bounds the JSON parameter on PostgreSQL and memory on both.
BATCH = 20_000
# Values per IN (…) list: below SQLite's oldest limit of bound variables.
LOOKUP_BATCH = 900


def is_postgresql(db: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return db.get_bind().dialect.name == "postgresql"


def insert_new(db: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` (same keys each), skipping those that clash with a unique key; new count."""
    if not rows:
        return 0
    inserted = 0
    for batch in _batches(rows, BATCH):
        if is_postgresql(db):
            inserted += _insert_pg(db, table, batch)
        else:
            names = list(batch[0])
            quoted = ", ".join(f'"{n}"' for n in names)
            sql = (
                f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))}) "
                "ON CONFLICT DO NOTHING"
            )
            result = db.connection().exec_driver_sql(sql, _sqlite_rows(db, table, names, batch))
            inserted += max(0, int(getattr(result, "rowcount", 0) or 0))
    return inserted


def _sqlite_rows(
    db: Session, table: Table, names: list[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as DB-API tuples, each value through its column type's own bind processor.

    The same conversion SQLAlchemy applies (so stored values read back and compare alike),
    without its per-row statement machinery, which costs more than SQLite's insert itself here.
    JSON goes through orjson (the type's default serializer is the slower stdlib ``json``).
    """
    dialect = db.get_bind().dialect
    convert: list[tuple[int, Any]] = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            convert.append((index, _json_text))
            continue
        # The dialect's own implementation, as SQLAlchemy itself binds the column.
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(column_type, UTCDateTime):
            processor = _fast_time(processor)
        if processor is not None:
            convert.append((index, processor))
    pick = itemgetter(*names)
    single = len(names) == 1  # itemgetter of one name gives the value, not a tuple
    out: list[tuple[Any, ...]] = []
    for row in rows:
        values = [pick(row)] if single else list(pick(row))
        for index, processor in convert:
            value = values[index]
            if value is not None:
                values[index] = processor(value)
        out.append(tuple(values))
    return out


def _fast_time(processor: Any) -> Any:
    """SQLite's UTC time text written directly, when it equals what the type's processor writes.

    Checked on a sample value each time: should SQLAlchemy's storage format ever change, the
    type's own processor is used.
    """
    sample = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    if processor is None or processor(sample) != _sqlite_time(sample):
        return processor
    return _sqlite_time


def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def update_rows(db: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by ``id`` (same keys each): one statement per batch on PostgreSQL."""
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    for batch in _batches(rows, BATCH):
        if is_postgresql(db):
            sets = ", ".join(f'"{n}" = r."{n}"' for n in names)
            columns = ", ".join(f'"{n}" {_pg_type(table.c[n].type)}' for n in ["id", *names])
            sql = (
                f"UPDATE {table.name} AS t SET {sets} "
                f"FROM json_to_recordset(CAST(:rows AS json)) AS r({columns}) WHERE t.id = r.id"
            )
            db.execute(text(sql), {"rows": orjson.dumps(batch).decode()})
            continue
        sets = ", ".join(f'"{n}" = ?' for n in names)
        sql = f"UPDATE {table.name} SET {sets} WHERE id = ?"
        db.connection().exec_driver_sql(sql, _sqlite_rows(db, table, [*names, "id"], batch))


def existing(
    db: Session, table: Table, *, company_id: int, column: str, values: Sequence[str]
) -> set[str]:
    """Which of ``values`` the company already has in ``column`` (a uniquely indexed key)."""
    found: set[str] = set()
    key = table.c[column]
    for chunk in _batches(list(values), LOOKUP_BATCH):
        stmt = select(key).where(table.c.company_id == company_id, key.in_(chunk))
        found.update(db.scalars(stmt))
    return found


def existing_pairs(
    db: Session, table: Table, *, columns: tuple[str, str], pairs: Sequence[tuple[Any, Any]]
) -> set[tuple[Any, Any]]:
    """Which (a, b) pairs exist in ``columns`` of ``table``."""
    found: set[tuple[Any, Any]] = set()
    first, second = table.c[columns[0]], table.c[columns[1]]
    for chunk in _batches(list(pairs), LOOKUP_BATCH // 2):
        stmt = select(first, second).where(tuple_(first, second).in_(chunk))
        found.update((row[0], row[1]) for row in db.execute(stmt))
    return found


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_pg(db: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    names = list(rows[0])
    geometry = [n for n in names if isinstance(table.c[n].type, Geometry)]
    if geometry:
        rows = [{**row, **{n: _ewkb(row[n]) for n in geometry}} for row in rows]
    columns = ", ".join(f'"{n}" {_pg_type(table.c[n].type)}' for n in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = (
        f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS r({columns}) ON CONFLICT DO NOTHING"
    )
    stmt = text(sql).bindparams(bindparam("rows"))
    result = db.execute(stmt, {"rows": orjson.dumps(rows).decode()})
    return max(0, int(getattr(result, "rowcount", 0) or 0))


def _ewkb(value: BaseGeometry | None) -> str | None:
    if value is None:
        return None
    ewkb: str = shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
    return ewkb


def _pg_type(sql_type: Any) -> str:
    if isinstance(sql_type, UTCDateTime):
        return "timestamptz"
    if isinstance(sql_type, Geometry):
        return "geometry"
    kinds = (
        (Boolean, "boolean"),
        (Integer, "integer"),
        (Float, "float8"),
        (Date, "date"),
        (JSON, "json"),
        (Text, "text"),
        (String, "text"),
    )
    for kind, name in kinds:
        if isinstance(sql_type, kind):
            return name
    raise TypeError(f"no PostgreSQL type for {sql_type!r}")
