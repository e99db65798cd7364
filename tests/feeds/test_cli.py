"""``tartip feeds check`` and ``tartip feeds add`` over real HTTP (a local server in a thread)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tartip.cli import app
from tartip.core.clock import utcnow
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory
from tartip.feeds.models import Feed
from tests.feeds.conftest import FIXTURES

runner = CliRunner()
ENV = {"TARTIP_ENV": "test", "TARTIP_HTTP_BACKOFF_S": "0", "TARTIP_HTTP_RETRIES": "0"}


class LocalServer:
    """Serves tests/data/gbfs (``{base}`` replaced by its own address) plus extra documents."""

    def __init__(self) -> None:
        self.extra: dict[str, bytes] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                body = outer.body(self.path.lstrip("/"))
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def body(self, path: str) -> bytes | None:
        if path in self.extra:
            return self.extra[path]
        file = FIXTURES / path
        if not file.is_file() or FIXTURES not in file.resolve().parents:
            return None
        return file.read_bytes().replace(b"{base}", self.base.encode())


@pytest.fixture
def local() -> Iterator[LocalServer]:
    server = LocalServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _check(url: str, *args: str):
    return runner.invoke(app, ["feeds", "check", url, *args], env=ENV)


def test_a_valid_fresh_feed_passes(local: LocalServer):
    doc = json.loads((FIXTURES / "almaty-v3.0" / "vehicle_status.json").read_bytes())
    doc["last_updated"] = utcnow().isoformat(timespec="seconds")
    doc["data"]["vehicles"] = doc["data"]["vehicles"][:1]
    doc["data"]["vehicles"][0]["last_reported"] = doc["last_updated"]
    local.extra["fresh/vehicle_status.json"] = json.dumps(doc).encode()
    result = _check(f"{local.base}/fresh/vehicle_status.json")
    assert result.exit_code == 0, result.stdout
    out = result.stdout
    assert "  version: 3.0" in out
    assert "Vehicles: 1" in out and "type yg-scooter: 1" in out
    assert "ttl 10 s: fresh" in out
    assert out.rstrip().endswith("VALID")


def test_every_problem_is_listed_with_its_file_and_path(local: LocalServer):
    result = _check(f"{local.base}/almaty-v2.3/gbfs.json", "--language", "ru")
    assert result.exit_code == 1
    out = result.stdout
    assert "language: ru (offered: en, ru)" in out
    assert "system: Тестовый шеринг (id tartip-test-jet, time zone Asia/Almaty)" in out
    assert "Vehicles: 4" in out
    assert "Stations: 2" in out
    assert "Geofencing zones: 2 (global rules: no)" in out
    assert "free_bike_status: data.bikes[3].lat: Expected `float | null`, got `str`" in out
    assert "free_bike_status: data.bikes[1].lat: '43.2567' is not of type 'number'" in out
    assert (
        "geofencing_zones: data.geofencing_zones.features[2].geometry: None is not of type 'object'"
        in out
    )
    assert "Freshness: last_updated" in out and "STALE" in out
    assert out.rstrip().endswith("INVALID: 13 problem(s)")


def test_english_is_chosen_by_the_language_option(local: LocalServer):
    result = _check(f"{local.base}/almaty-v1.1/gbfs.json", "--language", "en")
    assert "language: en (offered: kk, ru, en)" in result.stdout
    assert "system: Almaty Scooters" in result.stdout


def test_an_unreachable_feed_exits_with_3():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _check(f"http://127.0.0.1:{port}/gbfs.json")
    assert result.exit_code == 3
    assert "UNREACHABLE: could not be reached" in result.stdout


def test_an_html_answer_is_not_gbfs(local: LocalServer):
    local.extra["page"] = (FIXTURES / "quirks" / "error_page.html").read_bytes()
    result = _check(f"{local.base}/page")
    assert result.exit_code == 3
    assert "NOT USABLE: answered with an HTML page (application/json), not JSON" in result.stdout


def test_a_manifest_is_not_a_feed(local: LocalServer):
    manifest = {"last_updated": 1, "ttl": 0, "version": "3.0", "data": {"datasets": []}}
    local.extra["manifest.json"] = json.dumps(manifest).encode()
    result = _check(f"{local.base}/manifest.json")
    assert result.exit_code == 3
    assert "NOT USABLE: a manifest document: register one system's gbfs.json" in result.stdout


def test_feeds_add_registers_in_the_default_city(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(
        app,
        ["feeds", "add", "jet", "https://jet.test/gbfs.json"],
        env={**ENV, "TARTIP_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "registered feed 1 for Jet" in result.stdout
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        feed = db.scalars(select(Feed)).one()
        assert feed.url == "https://jet.test/gbfs.json"
    unknown = runner.invoke(
        app,
        ["feeds", "add", "nope", "https://x.test/gbfs.json"],
        env={**ENV, "TARTIP_DATABASE_URL": url},
    )
    assert unknown.exit_code == 2 and "no company 'nope'" in unknown.output
    engine.dispose()
