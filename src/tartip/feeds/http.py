"""The one configured HTTP client for talking to sharing companies' servers."""

from __future__ import annotations

import httpx

from tartip import __version__
from tartip.settings import Settings

USER_AGENT = f"tartip/{__version__} (+https://github.com/tartip)"


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An HTTP client with Tartip's timeout and User-Agent; tests pass a ``MockTransport``."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout_s, connect=min(5.0, settings.http_timeout_s)),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
        transport=transport,
    )
