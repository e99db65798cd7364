"""Shared fixtures: settings, both databases (SQLite, PostGIS), a rolled-back session per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher, profiles
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tartip.app import create_app
from tartip.auth import service as auth_service
from tartip.cities.models import City
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.deps import get_db, record_bookkeeping
from tartip.settings import Settings
from tests import builders

PG_ADMIN_DSN = os.environ.get(
    "TARTIP_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgis"]
SHARED = Path(__file__).resolve().parents[2] / "shared"

# The suite makes about a thousand users: with production's Argon2 parameters each hash costs a
# quarter of a second. Real Argon2id still, with its cheapest parameters (tests/auth checks that
# production keeps the strong default).
auth_service.use_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))


def pg_url(dbname: str) -> str:
    """The SQLAlchemy URL of a database on the test PostgreSQL server."""
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


def create_pg_database(dbname: str, *, template: str | None = None) -> str:
    """Create a database (from ``template`` when given) and return its URL."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{dbname}"{suffix}')
    return pg_url(dbname)


def drop_pg_database(dbname: str) -> None:
    """Drop a test database."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def worker_tag() -> str:
    """A tag unique to this test process (each pytest-xdist worker is its own process)."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def migrated_urls(
    tmp_path_factory: pytest.TempPathFactory, worker_tag: str
) -> Iterator[dict[str, str]]:
    """One migrated database per backend for this test process."""
    sqlite_path = tmp_path_factory.mktemp("db") / "tartip.db"
    sqlite_url = f"sqlite:///{sqlite_path}"
    migrate.upgrade(sqlite_url)
    pg_name = f"tartip_test_{worker_tag}"
    postgis_url = create_pg_database(pg_name)
    migrate.upgrade(postgis_url)
    yield {"sqlite": sqlite_url, "postgis": postgis_url}
    drop_pg_database(pg_name)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, worker_tag: str) -> Iterator[str]:
    """An empty database of each backend, for a test that migrates it itself."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"tartip_empty_{worker_tag}"
    yield create_pg_database(name)
    drop_pg_database(name)


@pytest.fixture(scope="session")
def engines(migrated_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    """One engine per backend."""
    made = {name: make_engine(url) for name, url in migrated_urls.items()}
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: every database test runs on both."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, migrated_urls: dict[str, str]) -> str:
    """The URL of the migrated test database of this backend."""
    return migrated_urls[backend]


@pytest.fixture
def engine(backend: str, engines: dict[str, Engine]) -> Engine:
    """The engine of this backend."""
    return engines[backend]


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test (its commits are savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for a test app on this backend."""
    return Settings(env="test", database_url=db_url, data_dir=tmp_path, run_jobs_in_process=False)


@pytest.fixture
def city(db: Session) -> City:
    """Almaty with its three companies."""
    return builders.make_almaty(db)


@pytest.fixture
def app_client(settings: Settings, db: Session, city: City) -> Iterator[TestClient]:
    """A client of the app whose requests use the test's session (and so see its rows)."""
    app = create_app(settings, run_jobs=False)

    def _test_db(request: Request) -> Iterator[Session]:
        yield db
        record_bookkeeping(request, db)
        db.flush()

    app.dependency_overrides[get_db] = _test_db
    with TestClient(app) as client:
        yield client


def unique(prefix: str) -> str:
    """A short unique name for rows a test creates."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
