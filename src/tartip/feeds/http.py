"""The one configured HTTP client for talking to sharing companies' servers, and fetching a file.

``make_client`` sets the timeout, the User-Agent and bounded retries (``RetryTransport``: network
failures and temporary answers 429/500/502/503/504, with exponential backoff). ``fetch`` streams
one file with conditional-request headers and stops reading past a size limit; it never raises
for a feed's failure, it returns a ``Fetched`` whose ``error`` says what went wrong in words a
person understands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tartip import __version__
from tartip.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = f"tartip/{__version__} (+https://github.com/tartip)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD"})
_CHUNK = 256 * 1024


class RetryTransport(httpx.BaseTransport):
    """Retries idempotent requests that failed in transit or got a temporary error answer.

    At most ``retries`` more attempts, waiting ``backoff_s``, then twice that, and so on. The last
    answer (or exception) is what the caller gets.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        retries: int,
        backoff_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._retries = max(0, retries)
        self._backoff_s = max(0.0, backoff_s)
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as described above."""
        attempt = 0
        while True:
            retry = attempt < self._retries and request.method in _IDEMPOTENT
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError as exc:
                if not retry:
                    raise
                reason = type(exc).__name__
            else:
                if not retry or response.status_code not in RETRY_STATUS:
                    return response
                response.close()
                reason = f"HTTP {response.status_code}"
            delay = self._backoff_s * 2**attempt
            log.info("retrying %s after %s in %.2f s", request.url, reason, delay)
            if delay:
                self._sleep(delay)
            attempt += 1

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client: Tartip's timeout, User-Agent and retries; tests pass a ``MockTransport``."""
    inner = transport if transport is not None else httpx.HTTPTransport()
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout_s, connect=min(5.0, settings.http_timeout_s)),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
        transport=RetryTransport(
            inner, retries=settings.http_retries, backoff_s=settings.http_backoff_s
        ),
    )


@dataclass
class Fetched:
    """One fetch of one URL: the answer, or why there is none (``error``)."""

    url: str
    status: int | None = None
    body: bytes = b""
    latency_ms: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304 (our copy is current)."""
        return self.status == 304


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET ``url`` conditionally, reading at most ``max_bytes``."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return Fetched(url, error=f"{url!r} is not an http(s) URL")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.perf_counter()
    try:
        result = _get(client, url, headers, max_bytes)
    except httpx.TimeoutException as exc:
        result = Fetched(url, error=f"did not answer in time ({_timeout_kind(exc)})")
    except httpx.TransportError as exc:
        result = Fetched(url, error=f"could not be reached: {exc or type(exc).__name__}")
    except httpx.HTTPError as exc:  # e.g. too many redirects, an invalid URL
        result = Fetched(url, error=f"request failed: {exc or type(exc).__name__}")
    result.latency_ms = round(1000 * (time.perf_counter() - started), 1)
    return result


def _get(client: httpx.Client, url: str, headers: dict[str, str], max_bytes: int) -> Fetched:
    with client.stream("GET", url, headers=headers) as response:
        fetched = Fetched(
            url,
            status=response.status_code,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_type=response.headers.get("content-type"),
        )
        if response.status_code == 304:
            return fetched
        if not response.is_success:
            fetched.error = f"answered HTTP {response.status_code} {response.reason_phrase}".strip()
            return fetched
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            fetched.error = (
                f"is {int(declared):,} bytes, over the {max_bytes:,}-byte limit; not read"
            )
            return fetched
        fetched.body, too_big = _read_limited(response, max_bytes)
        if too_big:
            fetched.error = f"sent more than {max_bytes:,} bytes (the limit); stopped reading"
            fetched.body = b""
        return fetched


def _read_limited(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting timed out",
        httpx.ReadTimeout: "reading timed out",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection",
    }.get(type(exc), type(exc).__name__)
