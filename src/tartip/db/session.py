"""Sessions: one factory per engine, and a unit of work that commits or rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_session_factory(engine: Engine, *, writer: bool = False) -> sessionmaker[Session]:
    """A session factory; objects stay usable after commit (pages render them afterwards).

    ``writer`` sessions are for work that will write (jobs, requests that change something): on
    SQLite they take the write lock when they begin (``BEGIN IMMEDIATE``), so two writers wait
    for each other instead of one failing when its read snapshot turns out stale.
    """
    bind = engine.execution_options(begin_immediate=True) if writer else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
