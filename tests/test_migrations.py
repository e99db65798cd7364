"""The one migration history works on both databases: upgrade, downgrade to nothing, upgrade."""

from __future__ import annotations

import warnings

from sqlalchemy import inspect

from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str):
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
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
