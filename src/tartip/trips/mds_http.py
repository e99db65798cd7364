"""Talking to a company's MDS Provider API: versioned requests, authentication, size limits.

``ProviderClient.get(url)`` sends one GET through Tartip's configured HTTP client
(``tartip.feeds.http.make_client``: timeout, User-Agent, bounded retries of temporary errors) with

- ``Accept``: the MDS media type and version of the feed (2.0: ``application/vnd.mds+json;
  version=2.0``; 1.2: ``application/vnd.mds.provider+json;version=1.2``; reports are CSV);
- ``Authorization: Bearer …``: the feed's fixed token, or an OAuth 2.0 client-credentials token
  fetched from the feed's token URL (client id and secret in HTTP Basic auth, RFC 6749 §2.3.1),
  cached until shortly before it expires (in the worker's memory: a restart asks for a new one)
  and fetched again once if the API answers 401.

It never raises for the company's faults: an ``Answer`` carries the status, the body, and an
``error`` in words a person understands.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from tartip.feeds.enums import FeedAuth
from tartip.feeds.mds_provider import MdsAuth

ACCEPT = {
    "2.0": "application/vnd.mds+json;version=2.0",
    "1.2": "application/vnd.mds.provider+json;version=1.2",
}
ACCEPT_CSV = {"2.0": "text/vnd.mds+csv;version=2.0", "1.2": "text/csv"}
# A token is fetched again this long before it expires.
TOKEN_MARGIN_S = 60.0
DEFAULT_TOKEN_LIFE_S = 3600.0
_CHUNK = 256 * 1024


@dataclass
class Answer:
    """One GET: the status and body, or why there is none (``error``)."""

    url: str
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    latency_ms: float = 0.0
    error: str | None = None


@dataclass
class CachedToken:
    """An OAuth access token and when it stops being good (monotonic seconds)."""

    value: str
    good_until: float


class TokenError(Exception):
    """The OAuth token endpoint did not give a token; the message says why."""


class ProviderClient:
    """GETs against one feed's Provider API (see the module docstring)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        feed_id: int,
        version: str,
        auth: MdsAuth,
        tokens: dict[int, CachedToken],
        max_bytes: int,
    ) -> None:
        self._client = client
        self._feed_id = feed_id
        self._version = version
        self._auth = auth
        self._tokens = tokens
        self._max_bytes = max_bytes

    def get(self, url: str, *, csv: bool = False) -> Answer:
        """GET ``url`` in the feed's MDS version, authenticated (once more after an OAuth 401)."""
        accept = (ACCEPT_CSV if csv else ACCEPT).get(self._version, ACCEPT["2.0"])
        started = time.perf_counter()
        try:
            answer = self._send(url, accept)
            if answer.status == 401 and self._auth.kind is FeedAuth.oauth:
                self._tokens.pop(self._feed_id, None)  # revoked or expired early: ask again
                answer = self._send(url, accept)
        except TokenError as exc:
            answer = Answer(url, error=str(exc))
        except httpx.TimeoutException:
            answer = Answer(url, error="did not answer in time")
        except httpx.TransportError as exc:
            answer = Answer(url, error=f"could not be reached: {exc or type(exc).__name__}")
        except httpx.HTTPError as exc:
            answer = Answer(url, error=f"request failed: {exc or type(exc).__name__}")
        answer.latency_ms = round(1000 * (time.perf_counter() - started), 1)
        return answer

    def _send(self, url: str, accept: str) -> Answer:
        headers = {"Accept": accept, **self._authorization()}
        with self._client.stream("GET", url, headers=headers) as response:
            answer = Answer(
                url, status=response.status_code, content_type=response.headers.get("content-type")
            )
            if response.status_code in (202, 204):
                return answer
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self._max_bytes:
                answer.error = (
                    f"is {int(declared):,} bytes, over the {self._max_bytes:,}-byte limit"
                )
                return answer
            body, too_big = _read_limited(response, self._max_bytes)
            if too_big:
                answer.error = f"sent more than {self._max_bytes:,} bytes (the limit); stopped"
                return answer
            answer.body = body
            if not response.is_success:
                answer.error = _http_error(response.status_code, response.reason_phrase, body)
            return answer

    def _authorization(self) -> dict[str, str]:
        if self._auth.kind is FeedAuth.bearer and self._auth.token:
            return {"Authorization": f"Bearer {self._auth.token}"}
        if self._auth.kind is FeedAuth.oauth:
            return {"Authorization": f"Bearer {self._token()}"}
        return {}

    def _token(self) -> str:
        cached = self._tokens.get(self._feed_id)
        if cached is not None and cached.good_until > time.monotonic():
            return cached.value
        auth = self._auth
        assert auth.token_url and auth.client_id and auth.client_secret
        form = {"grant_type": "client_credentials"}
        if auth.scope:
            form["scope"] = auth.scope
        try:
            response = self._client.post(
                auth.token_url,
                data=form,
                auth=(auth.client_id, auth.client_secret),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise TokenError(f"the OAuth token URL could not be reached: {exc}") from exc
        if not response.is_success:
            detail = _oauth_error(response.content)
            raise TokenError(
                f"the OAuth token URL answered HTTP {response.status_code}{detail}: "
                "check the client id and secret"
            )
        token = _token_of(response.content)
        self._tokens[self._feed_id] = token
        return token.value


def _token_of(body: bytes) -> CachedToken:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise TokenError("the OAuth token URL did not answer with JSON") from exc
    value = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value:
        raise TokenError("the OAuth token URL's answer has no access_token")
    life = doc.get("expires_in")
    seconds = float(life) if isinstance(life, int | float) and life > 0 else DEFAULT_TOKEN_LIFE_S
    return CachedToken(value, time.monotonic() + max(0.0, seconds - TOKEN_MARGIN_S))


def _oauth_error(body: bytes) -> str:
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(doc, Mapping) and isinstance(doc.get("error"), str):
        return f" ({doc['error']})"
    return ""


def _http_error(status: int, reason: str, body: bytes) -> str:
    text = f"answered HTTP {status} {reason}".strip()
    detail = _mds_error(body)
    return f"{text}: {detail}" if detail else text


def _mds_error(body: bytes) -> str:
    # MDS error bodies: {"error": …, "error_description": …, "error_details": […]}
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(doc, Mapping):
        return ""
    parts = [str(doc[k]) for k in ("error", "error_description") if doc.get(k)]
    return " — ".join(parts)[:300]


def _read_limited(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False
