"""An in-process limit on how often one address may call a door that needs no account.

The public complaint form and the open-data API need no account, so they are the doors a script
could hammer. A sliding window per client address (``complaint_rate_limit``,
``open_data_rate_limit`` and their windows) is enough for one Tartip process; behind a reverse
proxy, run uvicorn with ``--proxy-headers`` so the address is the caller's, not the proxy's.
Several processes each keep their own count (a documented limit).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

MAX_KEYS = 50_000  # forget the oldest addresses rather than grow without end


@dataclass
class RateLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds."""

    limit: int
    window_s: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._hits.pop(next(iter(self._hits)))
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may hit again (0 when it may now)."""
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) < self.limit:
                return 0.0
            return max(hits[0] + self.window_s - now, 0.0)

    def hit(self, key: str, now: float) -> None:
        """Count one hit for ``key``."""
        with self._lock:
            self._recent(key, now).append(now)
