"""SQL expressions the scorecard needs that SQLite and PostgreSQL spell differently.

Comparing a month of MDS timestamps must happen in the database (the rows never come to Python),
and neither backend shares a way to turn a timestamp into seconds or to move it: SQLite has
``unixepoch()`` and ``datetime(…, '+n seconds')``, PostgreSQL ``EXTRACT(EPOCH FROM …)`` and
intervals. They are compiled here, next to the queries that use them.
The numbers are inlined (they are integers Tartip computed), so PostgreSQL sees the same
expression in ``SELECT`` and ``GROUP BY``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Float, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement[float]):  # noqa: N801 - named like the SQL functions it stands for
    """A timestamp column as POSIX seconds."""

    type = Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"unixepoch({compiler.process(element.clauses, **kw)})"


class shifted(FunctionElement[datetime]):  # noqa: N801 - named like the SQL functions it stands for
    """A timestamp column moved by a whole number of seconds (for a range around a row's time)."""

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "shifted"

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any], seconds: int) -> None:
        super().__init__(column, literal_column(str(int(seconds))))


@compiles(shifted)
def _shifted_default(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    column, seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} + {seconds} * INTERVAL '1 second')"


@compiles(shifted, "sqlite")
def _shifted_sqlite(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    # datetime() answers in the stored text format (without the fraction): it compares as text.
    column, seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"datetime({column}, ({seconds}) || ' seconds')"
