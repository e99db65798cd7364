"""A stand-in for Tartip's MDS Agency API and damage API, over real HTTP on a loopback port.

It answers as the Agency API is specified (bulk answers with ``failures``; ``unregistered`` for an
unknown device; 401 without the right token) and records every request, so tests can check what
the simulator sent and in which order. It can be stopped and started again on the same port, as a
Tartip restart would look to the simulator.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tartip.simulator.server import bind_socket, uvicorn_server

TOKEN = "whoosh-agency-token-123"


@dataclass
class Received:
    """One request Tartip accepted or refused."""

    path: str
    status: int
    body: Any


@dataclass
class FakeTartip:
    """Tartip's Agency and damage endpoints, recording what arrives."""

    contract_paths: bool = True
    requests: list[Received] = field(default_factory=list)
    registered: set[str] = field(default_factory=set)
    # Path → status to answer instead (an outage of one endpoint, a refusal).
    override: dict[str, int] = field(default_factory=dict)
    port: int = 0
    _server: Any = None
    _thread: threading.Thread | None = None
    _sock: socket.socket | None = None

    stored: dict[str, list[Any]] = field(default_factory=dict)

    def accepted(self, path: str) -> list[Any]:
        """Every record stored from ``path`` (not those refused), in order of arrival."""
        return self.stored.get(path, [])

    async def handle(self, request: Request) -> Response:
        path = request.path_params["path"]
        body = orjson.loads(await request.body() or b"null")
        status, answer = self._answer(request, path, body)
        self.requests.append(Received(path, status, body))
        return Response(orjson.dumps(answer), status, media_type="application/json")

    def _answer(self, request: Request, path: str, body: Any) -> tuple[int, Any]:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {
                "error": "unauthorized",
                "error_description": "bad token",
                "error_details": ["x"],
            }
        if path in self.override:
            return self.override[path], {
                "error": "bad_param",
                "error_description": "no",
                "error_details": ["x"],
            }
        if path.startswith("damage/"):
            self.stored.setdefault(path, []).append(body)
            return 200, {"status": "ok"}
        agency = path.removeprefix("mds/agency/")
        if not self.contract_paths and agency in ("vehicles/events", "vehicles/telemetry"):
            return 404, {"error": "not_found", "error_description": "no", "error_details": ["x"]}
        if agency == "vehicles":
            failures = [
                {"item": v, "error": "already_registered", "error_description": "known"}
                for v in body
                if v["device_id"] in self.registered
            ]
            self.registered |= {v["device_id"] for v in body}
            self.stored.setdefault(path, []).extend(body)
            return 201, {
                "success": len(body) - len(failures),
                "total": len(body),
                "failures": failures,
            }
        failures = [
            {"item": item, "error": "unregistered", "error_description": "unknown device"}
            for item in body
            if item["device_id"] not in self.registered
        ]
        self.stored.setdefault(path, []).extend(
            i for i in body if i["device_id"] in self.registered
        )
        # As Tartip answers (MDS Agency): 404 with the bulk body when a device is unregistered.
        status = 404 if failures else 201
        return status, {
            "success": len(body) - len(failures),
            "total": len(body),
            "failures": failures,
        }

    def start(self) -> str:
        """Serve on ``port`` (a free one the first time); returns the base URL."""
        app = Starlette(routes=[Route("/api/v1/{path:path}", self.handle, methods=["POST"])])
        sock = self._sock = bind_socket("127.0.0.1", self.port)
        self.port = sock.getsockname()[1]
        self._server = uvicorn_server(app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Stop answering (connections are refused until ``start`` again)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def url(self) -> str:
        """The base URL Tartip would have."""
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A loopback port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
