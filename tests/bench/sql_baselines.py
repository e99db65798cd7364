"""SQL the benchmarks' baselines need and Tartip itself no longer does: a timestamp as POSIX
seconds (``EXTRACT(EPOCH FROM …)`` on PostgreSQL, ``unixepoch()`` on SQLite), for counting raw
rows the way the stored sums and rollups spare the product."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
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
