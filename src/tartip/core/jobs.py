"""Background work: jobs behind one small interface.

A job is a plain function ``(ctx, db, city) -> None`` registered with a name and an interval. The
worker (``tartip.worker``) runs every due job once per city, each run in its own transaction; a
failing run is rolled back and logged without stopping the others. In the embedded default the
worker runs inside the web server's process; in production ``tartip worker`` runs it alone. A
distributed engine can later run the same registered functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session


@dataclass
class JobContext:
    """What jobs share across runs in one worker: settings, the HTTP client, in-memory caches."""

    settings: Any
    http: Any
    state: dict[str, Any] = field(default_factory=dict)


JobFunction = Callable[[JobContext, Session, Any], None]


@dataclass(frozen=True)
class Job:
    """A registered job: its name, how often it runs, and the function."""

    name: str
    every_s: float
    run: JobFunction


REGISTRY: dict[str, Job] = {}


def job(name: str, *, every_s: float) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn`` as the job ``name``, run every ``every_s`` seconds per city."""

    def register(fn: JobFunction) -> JobFunction:
        REGISTRY[name] = Job(name=name, every_s=every_s, run=fn)
        return fn

    return register
