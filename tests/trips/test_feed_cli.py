"""``tartip feeds add --protocol mds-provider``: a Provider feed registered from the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tartip.audit.models import AuditEntry
from tartip.cli import app
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory
from tartip.feeds.enums import FeedAuth, FeedProtocol
from tartip.feeds.models import Feed
from tests.conftest import create_pg_database, drop_pg_database

runner = CliRunner()
ENV = {"TARTIP_ENV": "test"}


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, worker_tag: str) -> Iterator[str]:
    """An empty database of the backend under test (the command migrates it)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    name = f"tartip_mds_cli_{worker_tag}"
    yield create_pg_database(name)
    drop_pg_database(name)


def feeds(url: str) -> list[Feed]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            return list(db.scalars(select(Feed).order_by(Feed.id)))
    finally:
        engine.dispose()


def test_register_provider_feeds_with_bearer_and_oauth(fresh_url: str):
    env = {**ENV, "TARTIP_DATABASE_URL": fresh_url}
    bearer = runner.invoke(
        app,
        ["feeds", "add", "jet", "https://mds.jet.test/v2", "--protocol", "mds-provider",
         "--token", "s3cret", "--endpoint", "trips", "--endpoint", "events_historical",
         "--start", "2026-11-01T05:30"],
        env=env,
    )  # fmt: skip
    assert bearer.exit_code == 0, bearer.output
    oauth = runner.invoke(
        app,
        ["feeds", "add", "yandex-go", "https://mds.yandex.test/", "--protocol", "mds-provider",
         "--mds-version", "1.2", "--client-id", "tartip", "--client-secret", "pw",
         "--token-url", "https://auth.yandex.test/token"],
        env=env,
    )  # fmt: skip
    assert oauth.exit_code == 0, oauth.output
    gbfs = runner.invoke(app, ["feeds", "add", "whoosh", "https://w.test/gbfs.json"], env=env)
    assert gbfs.exit_code == 0, gbfs.output

    jet, yandex, whoosh = feeds(fresh_url)
    assert (jet.protocol, jet.url, jet.version, jet.auth) == (
        FeedProtocol.mds_provider,
        "https://mds.jet.test/v2/",
        "2.0",
        FeedAuth.bearer,
    )
    assert jet.auth_secret == "s3cret"
    assert jet.mds_config == {
        "endpoints": ["trips", "events/historical"],
        "start": "2026-11-01T05:00:00+00:00",
        "paths": {},
    }
    assert (yandex.version, yandex.auth, yandex.auth_client_id) == ("1.2", FeedAuth.oauth, "tartip")
    assert (whoosh.protocol, whoosh.auth) == (FeedProtocol.gbfs, FeedAuth.none)

    engine = make_engine(fresh_url)
    with make_session_factory(engine)() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "feed.register")).all()
        assert len(entries) == 3 and entries[0].actor == "cli"
        assert "s3cret" not in str(entries[0].after) and entries[0].after["auth"] == "bearer"
    engine.dispose()


def test_incomplete_credentials_and_unknown_versions_are_refused(fresh_url: str):
    env = {**ENV, "TARTIP_DATABASE_URL": fresh_url}
    half = runner.invoke(
        app,
        ["feeds", "add", "jet", "https://mds.jet.test/", "--protocol", "mds-provider",
         "--client-id", "tartip"],
        env=env,
    )  # fmt: skip
    assert half.exit_code == 1
    assert "incomplete oauth credentials" in half.output
    assert "client_secret: required for oauth auth" in half.output
    version = runner.invoke(
        app,
        ["feeds", "add", "jet", "https://mds.jet.test/", "--protocol", "mds-provider",
         "--mds-version", "0.4"],
        env=env,
    )  # fmt: skip
    assert version.exit_code == 1 and "MDS version '0.4' is not supported" in version.output
    assert feeds(fresh_url) == []
