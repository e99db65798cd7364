"""The configured client and ``fetch``: retries, timeouts, size limit, conditional requests."""

from __future__ import annotations

import httpx

from tartip.feeds.http import USER_AGENT, RetryTransport, fetch, make_client
from tartip.settings import Settings

URL = "https://feeds.test/free_bike_status.json"


def _client(settings: Settings, handler) -> httpx.Client:
    return make_client(settings, httpx.MockTransport(handler))


def test_temporary_errors_are_retried_then_succeed(plain_settings):
    answers = [httpx.Response(503), httpx.Response(200, json={"ok": 1})]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    with _client(plain_settings, handler) as client:
        fetched = fetch(client, URL, max_bytes=1000)
    assert fetched.error is None and fetched.status == 200
    assert len(seen) == 2
    assert seen[0].headers["user-agent"] == USER_AGENT


def test_retries_are_bounded_and_the_last_answer_is_reported(plain_settings):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    settings = plain_settings.model_copy(update={"http_retries": 2})
    with _client(settings, handler) as client:
        fetched = fetch(client, URL, max_bytes=1000)
    assert len(calls) == 3
    assert fetched.error == "answered HTTP 503 Service Unavailable"
    assert fetched.status == 503


def test_backoff_doubles_between_attempts():
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = RetryTransport(
        httpx.MockTransport(handler), retries=3, backoff_s=0.5, sleep=waits.append
    )
    with httpx.Client(transport=transport) as client:
        fetched = fetch(client, URL, max_bytes=1000)
    assert waits == [0.5, 1.0, 2.0]
    assert fetched.error == "could not be reached: refused"


def test_a_client_error_is_not_retried(plain_settings):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    with _client(plain_settings, handler) as client:
        assert fetch(client, URL, max_bytes=1000).error == "answered HTTP 404 Not Found"
    assert len(calls) == 1


def test_a_timeout_is_a_clear_error(plain_settings):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with _client(plain_settings, handler) as client:
        fetched = fetch(client, URL, max_bytes=1000)
    assert fetched.error == "did not answer in time (reading timed out)"
    assert fetched.status is None


def test_a_declared_oversized_body_is_not_read(plain_settings):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    with _client(plain_settings, handler) as client:
        fetched = fetch(client, URL, max_bytes=4096)
    assert fetched.error == "is 5,000 bytes, over the 4,096-byte limit; not read"
    assert fetched.body == b""


def test_an_undeclared_oversized_body_is_cut_off_while_streaming(plain_settings):
    def chunks():
        for _ in range(100):
            yield b"y" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())  # chunked: no Content-Length

    with _client(plain_settings, handler) as client:
        fetched = fetch(client, URL, max_bytes=10_000)
    assert fetched.error == "sent more than 10,000 bytes (the limit); stopped reading"


def test_conditional_headers_are_sent_and_304_is_recognised(plain_settings):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304, headers={"etag": '"v1"'})

    with _client(plain_settings, handler) as client:
        fetched = fetch(
            client, URL, max_bytes=1000, etag='"v1"', last_modified="Sun, 01 Jun 2025 05:00:00 GMT"
        )
    assert fetched.not_modified and fetched.error is None
    assert seen[0].headers["if-none-match"] == '"v1"'
    assert seen[0].headers["if-modified-since"] == "Sun, 01 Jun 2025 05:00:00 GMT"


def test_only_http_urls_are_fetched(plain_settings):
    with _client(plain_settings, lambda r: httpx.Response(200)) as client:
        fetched = fetch(client, "file:///etc/passwd", max_bytes=1000)
    assert fetched.error == "'file:///etc/passwd' is not an http(s) URL"
