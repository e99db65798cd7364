"""The one migration history works on both databases: upgrade, downgrade to nothing, upgrade."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.models import Base
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", "postgis"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path, worker_tag: str):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"tartip_migrations_{worker_tag}"
    yield create_pg_database(name)
    drop_pg_database(name)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url: str):
    migrate.upgrade(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables)
    migrate.downgrade(fresh_url, "base")
    assert _tables(fresh_url) == set()
    migrate.upgrade(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(fresh_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLAlchemy cannot reflect PostGIS's geometry type; it is checked below instead.
            warnings.filterwarnings("ignore", "Did not recognize type 'geometry'")
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # PostGIS indexes made by hand in the migration are not in the metadata: ignore them.
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name.endswith("_gist"))]
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")]
    assert diff == []
