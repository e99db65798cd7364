"""Feeds test support: a fake GBFS server over ``httpx.MockTransport``, fixtures and samples."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from tartip.cities.models import City, Company
from tartip.core.jobs import JobContext
from tartip.feeds import service as feeds_service
from tartip.feeds.http import make_client
from tartip.feeds.models import Feed
from tartip.settings import Settings
from tests import builders
from tests.conftest import SHARED

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "gbfs"
SAMPLES = SHARED / "data" / "gbfs-samples"
BASE = "https://feeds.test"

Route = Callable[[httpx.Request], httpx.Response]


class FakeServer:
    """Serves files under ``root`` with ETags; ``{base}`` in a file becomes the server's address.

    ``by_name`` serves any URL by its last path segment (the shared samples carry their
    operators' real URLs). ``put``/``route`` replace what a path answers, ``hits`` counts requests.
    """

    def __init__(self, root: Path, *, base: str = BASE, by_name: bool = False) -> None:
        self.root = root
        self.base = base
        self.by_name = by_name
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, Route] = {}
        self.bodies: dict[str, bytes] = {}

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return f"{self.base}/{path}"

    def put(self, path: str, doc: Any) -> None:
        """Serve ``doc`` (JSON-encoded unless bytes) at ``path`` from now on."""
        self.bodies[path] = doc if isinstance(doc, bytes) else json.dumps(doc).encode()

    def route(self, path: str, answer: Route | httpx.Response) -> None:
        """Answer ``path`` with ``answer`` from now on."""
        self.routes[path] = answer if callable(answer) else (lambda _request: answer)

    def restore(self, path: str) -> None:
        """Serve ``path`` from the file again."""
        self.routes.pop(path, None)
        self.bodies.pop(path, None)

    def doc(self, path: str) -> Any:
        """The document ``path`` currently serves, decoded."""
        return json.loads(self._body(path) or b"null")

    def put_fresh(self, path: str, at: datetime, **changes: Any) -> dict[str, Any]:
        """Serve ``path`` stamped ``at`` (the fixtures' own stamps are long past)."""
        doc: dict[str, Any] = self.doc(path)
        doc["last_updated"] = int(at.timestamp())
        doc.update(changes)
        self.put(path, doc)
        return doc

    def hits(self, path: str) -> int:
        """How many requests asked for ``path``."""
        return sum(1 for r in self.requests if self._path(r) == path)

    def client(self, settings: Settings) -> httpx.Client:
        """The configured client, talking to this server."""
        return make_client(settings, httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        self.requests.append(request)
        path = self._path(request)
        if path in self.routes:
            return self.routes[path](request)
        body = self._body(path)
        if body is None:
            return httpx.Response(404, text="not found")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        headers = {"content-type": "application/json", "etag": etag}
        return httpx.Response(200, content=body, headers=headers)

    def _path(self, request: httpx.Request) -> str:
        path = request.url.path.lstrip("/")
        if self.by_name:
            last = path.rsplit("/", 1)[-1]
            return last if last.endswith(".json") else f"{last}.json"
        return path

    def _body(self, path: str) -> bytes | None:
        if path in self.bodies:
            return self.bodies[path]
        file = self.root / path
        if not file.is_file():
            return None
        return file.read_bytes().replace(b"{base}", self.base.encode())


def sample_dir(name: str) -> Path:
    """A shared real-world sample folder, or skip the test saying why it is missing."""
    folder = SAMPLES / name
    if not folder.is_dir():
        pytest.skip(
            f"../shared/data/gbfs-samples not present: {folder} is needed (not copied here)"
        )
    return folder


@pytest.fixture
def server() -> FakeServer:
    """A fake server of the made-up fixtures in tests/data/gbfs."""
    return FakeServer(FIXTURES)


@pytest.fixture
def plain_settings() -> Settings:
    """Settings for tests without a database: no waiting between retries."""
    return Settings(env="test", http_backoff_s=0.0, http_retries=1)


@pytest.fixture
def feed_settings(settings: Settings) -> Settings:
    """The database test settings, with no waiting between retries."""
    return settings.model_copy(update={"http_backoff_s": 0.0, "http_retries": 1})


@pytest.fixture
def ctx(feed_settings: Settings, server: FakeServer) -> JobContext:
    """A job context whose HTTP client talks to the fake server."""
    return JobContext(settings=feed_settings, http=server.client(feed_settings))


@pytest.fixture
def jet(db: Session, city: City) -> Company:
    """Jet, one of Almaty's companies."""
    return builders.company(db, city, "jet")


def add_feed(db: Session, company: Company, url: str, *, language: str | None = None) -> Feed:
    """A registered feed (as the command line registers it)."""
    return feeds_service.register(db, scope=None, company_id=company.id, url=url, language=language)
