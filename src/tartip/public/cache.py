"""A small in-process cache of the public answers, and the per-address limit of the open API.

The public page and the open data are read by anyone, so a burst of requests must not turn into a
burst of queries: each answer is kept ``open_data_cache_s`` seconds (one cache per app, made on
first use) and sent with ``Cache-Control: public`` so proxies keep it too. The request limit
reuses the complaints form's sliding-window limiter (one count per client address and process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import Request

from tartip.core.errors import TartipError
from tartip.core.ratelimit import RateLimiter
from tartip.settings import Settings

T = TypeVar("T")
MAX_ENTRIES = 2_000  # forget the oldest answers rather than grow without end
CACHE_STATE = "public_cache"
LIMITER_STATE = "open_data_rate_limiter"


class RateLimited(TartipError):
    """Too many requests from one address in the window (429)."""

    status_code = 429
    code = "rate_limited"


@dataclass
class TtlCache:
    """Answers kept ``ttl_s`` seconds by key."""

    ttl_s: float
    _entries: dict[Hashable, tuple[float, object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The kept answer of ``key``, or a fresh one from ``make`` (then kept)."""
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]  # type: ignore[return-value]
        value = make()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (now + self.ttl_s, value)
        return value


def cache_of(request: Request, settings: Settings) -> TtlCache:
    """The app's cache of public answers."""
    found: TtlCache | None = getattr(request.app.state, CACHE_STATE, None)
    if found is None:
        found = TtlCache(settings.open_data_cache_s)
        setattr(request.app.state, CACHE_STATE, found)
    return found


def check_rate(request: Request, settings: Settings) -> None:
    """Count this request against its address; ``RateLimited`` when over the limit."""
    limiter: RateLimiter | None = getattr(request.app.state, LIMITER_STATE, None)
    if limiter is None:
        limiter = RateLimiter(settings.open_data_rate_limit, settings.open_data_rate_window_s)
        setattr(request.app.state, LIMITER_STATE, limiter)
    key = request.client.host if request.client else "unknown"
    now = time.monotonic()
    wait = limiter.retry_after(key, now)
    if wait > 0:
        raise RateLimited(
            f"too many requests from this address: at most {limiter.limit} in "
            f"{limiter.window_s:.0f} s; try again in {wait:.0f} s"
        )
    limiter.hit(key, now)
