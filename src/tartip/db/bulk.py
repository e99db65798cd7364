"""Bulk writes for hot paths: one statement per batch on PostgreSQL, executemany on SQLite.

This is the storage adapter's other dialect difference (with ``types.py``): on PostgreSQL a batch
is one statement over one JSON parameter (written by orjson, read by ``json_to_recordset``;
geometries travel as hex EWKB), however many rows. executemany sends a statement per row;
multi-row VALUES makes psycopg parse statements with tens of thousands of placeholders, and array
parameters are escaped element by element (measured: 3–5 s for 30,000 new vehicles; this way
≈0.3 s). SQLite's executemany is native and fast.

- ``insert_many``: plain inserts, the new rows' ``returning`` columns back on PostgreSQL.
- ``insert_new``: "insert, and skip what is already there" (``ON CONFLICT DO NOTHING``, every
  unique constraint of the table counts), returning how many rows were new. MDS records have
  natural keys (a company's ``trip_id``, ``event_id``, …): a re-pulled hour or a re-sent push
  must add nothing twice. On SQLite the row count is the sum over the batch.
- ``update_many``: updates by ``id``.
- ``existing``: which of some key values a company already has.
- ``upsert``: insert, or merge into the row already there (``ON CONFLICT … DO UPDATE``), for
  sums kept per key.

On SQLite, ``insert_new`` and ``update_many`` run the driver's executemany with values converted
by each column type's own bind processor (``_sqlite_rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
    Row,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from tartip.db.types import SRID, Geometry, UTCDateTime

# Rows per statement of insert_new and update_many: bounds the JSON parameter on PostgreSQL and
# memory on both.
BATCH = 20_000
# Values per IN (…) list: below SQLite's oldest limit of bound variables.
LOOKUP_BATCH = 900


def is_postgresql(db: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return db.get_bind().dialect.name == "postgresql"


def returns_rows(db: Session) -> bool:
    """Whether ``insert_many(..., returning=…)`` gives rows back (PostgreSQL) or not (SQLite)."""
    return is_postgresql(db)


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_many(
    db: Session, table: Table, rows: list[dict[str, Any]], *, returning: tuple[str, ...] = ()
) -> list[Row[Any]]:
    """Insert ``rows`` (same keys each); the ``returning`` columns come back on PostgreSQL only."""
    if not returns_rows(db):
        db.execute(insert(table), rows)
        return []
    names = list(rows[0])
    sql = f"INSERT INTO {table.name} ({_quoted(names)}) SELECT {_quoted(names)} FROM "
    sql += _recordset(table, names)
    if returning:
        sql += f" RETURNING {_quoted(returning)}"
    result = db.execute(text(sql), {"rows": _pg_json(table, names, rows)})
    return list(result) if returning else []


def insert_new(db: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` (same keys each), skipping those that clash with a unique key; new count."""
    if not rows:
        return 0
    names = list(rows[0])
    inserted = 0
    for batch in batches(rows, BATCH):
        if is_postgresql(db):
            sql = (
                f"INSERT INTO {table.name} ({_quoted(names)}) SELECT {_quoted(names)} "
                f"FROM {_recordset(table, names)} ON CONFLICT DO NOTHING"
            )
            result = db.execute(text(sql), {"rows": _pg_json(table, names, batch)})
        else:
            sql = (
                f"INSERT INTO {table.name} ({_quoted(names)}) "
                f"VALUES ({', '.join('?' * len(names))}) ON CONFLICT DO NOTHING"
            )
            result = db.connection().exec_driver_sql(sql, _sqlite_rows(db, table, names, batch))
        inserted += max(0, int(getattr(result, "rowcount", 0) or 0))
    return inserted


def update_many(db: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by ``id`` (same keys each)."""
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    for batch in batches(rows, BATCH):
        if is_postgresql(db):
            sets = ", ".join(f'"{n}" = r."{n}"' for n in names)
            columns = ["id", *names]
            sql = (
                f"UPDATE {table.name} AS t SET {sets} "
                f"FROM {_recordset(table, columns)} WHERE t.id = r.id"
            )
            db.execute(text(sql), {"rows": _pg_json(table, columns, batch)})
            continue
        sets = ", ".join(f'"{n}" = ?' for n in names)
        sql = f"UPDATE {table.name} SET {sets} WHERE id = ?"
        db.connection().exec_driver_sql(sql, _sqlite_rows(db, table, [*names, "id"], batch))


def upsert(
    db: Session,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    keys: Sequence[str],
    merge: Callable[[Any, Any], dict[str, ColumnElement[Any]]],
) -> None:
    """Insert ``rows``; where one clashes on ``keys``, set ``merge(table.c, excluded)`` instead."""
    if not rows:
        return
    make = postgresql.insert if is_postgresql(db) else sqlite.insert
    stmt = make(table).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=merge(table.c, stmt.excluded))
    db.execute(stmt)


def existing(
    db: Session, table: Table, *, company_id: int, column: str, values: Sequence[str]
) -> set[str]:
    """Which of ``values`` the company already has in ``column`` (a uniquely indexed key)."""
    found: set[str] = set()
    key = table.c[column]
    for chunk in batches(list(values), LOOKUP_BATCH):
        stmt = select(key).where(table.c.company_id == company_id, key.in_(chunk))
        found.update(db.scalars(stmt))
    return found


# --- PostgreSQL: one JSON parameter per batch ---------------------------------------------------


def _pg_json(table: Table, names: list[str], rows: list[dict[str, Any]]) -> str:
    """The rows as the JSON text ``json_to_recordset`` reads, geometries as hex EWKB."""
    geometry = [n for n in names if isinstance(table.c[n].type, Geometry)]
    if geometry:
        rows = [{**row, **{n: _ewkb(row[n]) for n in geometry}} for row in rows]
    return orjson.dumps(rows).decode()


def _recordset(table: Table, names: list[str]) -> str:
    columns = ", ".join(f'"{n}" {_pg_type(table.c[n].type)}' for n in names)
    return f"json_to_recordset(CAST(:rows AS json)) AS r({columns})"


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


def _quoted(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# --- SQLite: the driver's executemany -----------------------------------------------------------


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
