"""MDS test support: objects as companies send them (2.0 and 1.2), and a real Provider server.

``ProviderServer`` is a small MDS Provider API on loopback (stdlib ``ThreadingHTTPServer`` in a
thread): it serves whatever the test puts per path and query, pages by ``links.next``, answers 202
or 404 for chosen hours, checks the bearer token and the ``Accept`` header, and runs an OAuth 2.0
client-credentials token endpoint. Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROVIDER_ID = "3f8908a7-86fa-450d-8889-5d49077e06cd"
ALMATY = (76.9286, 43.2567)  # lon, lat: Abylai Khan Ave, Almaly district


def new_id() -> str:
    """A fresh lower-case UUID."""
    return str(uuid.uuid4())


def ms(moment: datetime) -> int:
    """An aware datetime as MDS milliseconds."""
    return int(moment.timestamp() * 1000)


def vehicle(
    device_id: str | None = None, vehicle_id: str = "J-0001", **extra: Any
) -> dict[str, Any]:
    """An MDS 2.0 micromobility vehicle."""
    return {
        "device_id": device_id or new_id(),
        "provider_id": PROVIDER_ID,
        "vehicle_id": vehicle_id,
        "vehicle_type": "scooter_standing",
        "propulsion_types": ["electric"],
        **extra,
    }


def event(
    device_id: str,
    at: datetime,
    state: str,
    types: list[str],
    *,
    trip_id: str | None = None,
    lon: float = ALMATY[0],
    lat: float = ALMATY[1],
    **extra: Any,
) -> dict[str, Any]:
    """An MDS 2.0 event."""
    body: dict[str, Any] = {
        "device_id": device_id,
        "provider_id": PROVIDER_ID,
        "event_id": new_id(),
        "vehicle_state": state,
        "event_types": types,
        "timestamp": ms(at),
        "location": {"lat": lat, "lng": lon},
        **extra,
    }
    if trip_id is not None:
        body["trip_ids"] = [trip_id]
    return body


def trip(
    device_id: str,
    start: datetime,
    *,
    minutes: int = 12,
    trip_id: str | None = None,
    start_at: tuple[float, float] = ALMATY,
    end_at: tuple[float, float] = (76.9450, 43.2380),
) -> dict[str, Any]:
    """An MDS 2.0 trip."""
    end = start + timedelta(minutes=minutes)
    return {
        "provider_id": PROVIDER_ID,
        "device_id": device_id,
        "trip_id": trip_id or new_id(),
        "start_time": ms(start),
        "end_time": ms(end),
        "start_location": {"lat": start_at[1], "lng": start_at[0]},
        "end_location": {"lat": end_at[1], "lng": end_at[0]},
        "duration": minutes * 60,
        "distance": 2400,
    }


def telemetry(device_id: str, at: datetime, *, trip_id: str | None = None) -> dict[str, Any]:
    """An MDS 2.0 telemetry point."""
    return {
        "device_id": device_id,
        "provider_id": PROVIDER_ID,
        "telemetry_id": new_id(),
        "timestamp": ms(at),
        "trip_ids": [trip_id] if trip_id else None,
        "journey_id": None,
        "location": {"lat": ALMATY[1], "lng": ALMATY[0], "speed": 4.5},
        "battery_percent": 71,
    }


def ride(
    device_id: str, start: datetime, *, minutes: int = 12
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A trip and its two events (start and end), as a company reports them."""
    made = trip(device_id, start, minutes=minutes)
    end = start + timedelta(minutes=minutes)
    events = [
        event(device_id, start, "on_trip", ["trip_start"], trip_id=made["trip_id"]),
        event(
            device_id,
            end,
            "available",
            ["trip_end"],
            trip_id=made["trip_id"],
            lon=76.9450,
            lat=43.2380,
        ),
    ]
    return made, events


def _feature(lon: float, lat: float, at: datetime) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"timestamp": ms(at)},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def trip_12(device_id: str, start: datetime, *, minutes: int = 10) -> dict[str, Any]:
    """An MDS 1.2 trip, with its route."""
    end = start + timedelta(minutes=minutes)
    return {
        "provider_name": "Yandex Go",
        "provider_id": PROVIDER_ID,
        "device_id": device_id,
        "vehicle_id": "Y-0042",
        "vehicle_type": "scooter",
        "propulsion_types": ["electric"],
        "trip_id": new_id(),
        "trip_duration": minutes * 60,
        "trip_distance": 1800,
        "route": {
            "type": "FeatureCollection",
            "features": [
                _feature(*ALMATY, start),
                _feature(76.9370, 43.2470, start + timedelta(minutes=minutes / 2)),
                _feature(76.9450, 43.2380, end),
            ],
        },
        "accuracy": 10,
        "start_time": ms(start),
        "end_time": ms(end),
    }


def status_change_12(
    device_id: str, at: datetime, state: str, types: list[str], **extra: Any
) -> dict[str, Any]:
    """An MDS 1.2 status change (no event id)."""
    return {
        "provider_name": "Yandex Go",
        "provider_id": PROVIDER_ID,
        "device_id": device_id,
        "vehicle_id": "Y-0042",
        "vehicle_type": "scooter",
        "propulsion_types": ["electric"],
        "vehicle_state": state,
        "event_types": types,
        "event_time": ms(at),
        "event_location": _feature(*ALMATY, at),
        **extra,
    }


def page_20(key: str, records: list[dict[str, Any]], **envelope: Any) -> dict[str, Any]:
    """An MDS 2.0 answer."""
    return {"version": "2.0.0", key: records, **envelope}


def page_12(key: str, records: list[dict[str, Any]], **envelope: Any) -> dict[str, Any]:
    """An MDS 1.2 answer."""
    return {"version": "1.2.0", "data": {key: records}, **envelope}


def hour_text(hour: datetime) -> str:
    """An hour as MDS asks for it (``YYYY-MM-DDTHH``)."""
    return f"{hour.astimezone(UTC):%Y-%m-%dT%H}"


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Seen:
    """One request the server got."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class ProviderServer:
    """A Provider API on loopback (see the module docstring)."""

    token: str | None = None
    oauth: tuple[str, str] | None = None  # (client id, secret) the token endpoint accepts
    token_life_s: int = 3600
    # (path, query string) → (status, JSON body or None); query "" answers any query.
    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    base: str = ""

    def put(self, path: str, body: Any, *, query: str = "", status: int = 200) -> None:
        """Answer ``path`` (with exactly ``query``, or any) with ``status`` and ``body``."""
        self.answers[(path, query)] = (status, body)

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path`` under the server."""
        return f"{self.base}/{path}"

    def data_requests(self, path: str) -> list[Seen]:
        """The GETs of ``path``."""
        return [s for s in self.seen if s.method == "GET" and s.path == path]

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("authorization", "")
        if self.oauth is not None:
            value = given.removeprefix("Bearer ")
            return value in self.issued and value not in self.revoked
        return self.token is None or given == f"Bearer {self.token}"

    def handle(self, seen: Seen) -> tuple[int, Any, str]:
        """The answer to one request: (status, body, content type)."""
        self.seen.append(seen)
        if seen.path == "/oauth/token":
            return self._token(seen)
        if not self._authorised(seen.headers):
            return (
                401,
                {"error": "unauthorized", "error_description": "bad token"},
                "application/json",
            )
        query = "&".join(f"{k}={v}" for k, v in sorted(seen.query.items()))
        found = self.answers.get((seen.path, query)) or self.answers.get((seen.path, ""))
        if found is None:
            return 404, {"error": "not_found", "error_description": seen.path}, "application/json"
        status, body = found
        kind = "text/csv" if isinstance(body, str) else "application/vnd.mds+json;version=2.0"
        return status, body, kind

    def _token(self, seen: Seen) -> tuple[int, Any, str]:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        basic = seen.headers.get("authorization", "")
        client = None
        if basic.startswith("Basic "):
            client = tuple(base64.b64decode(basic[6:]).decode().split(":", 1))
        if form.get("grant_type") != "client_credentials" or client != self.oauth:
            return 401, {"error": "invalid_client"}, "application/json"
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_life_s}
        return 200, body, "application/json"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeMDS/1.0"

    def log_message(self, *_args: Any) -> None:  # quiet
        return

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        seen = Seen(
            method=method,
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        provider: ProviderServer = self.server.provider  # type: ignore[attr-defined]
        status, body, kind = provider.handle(seen)
        payload = (
            b""
            if body is None
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer("POST")


def serve(provider: ProviderServer) -> Iterator[ProviderServer]:
    """Run ``provider`` on a free loopback port until the generator is closed."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.provider = provider  # type: ignore[attr-defined]
    provider.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
