"""A SQL expression the scorecard needs that SQLite and PostgreSQL spell differently.

Checking that a trip has its MDS events looks for events within a margin around the trip's times,
in the database (the rows never come to Python), and the backends move a timestamp by some
seconds differently: SQLite with
``datetime(…, '+n seconds')``, PostgreSQL with intervals. It is compiled here, next to the query
that uses it. The number is inlined (an integer Tartip computed), so PostgreSQL sees the same
expression wherever it appears.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


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
