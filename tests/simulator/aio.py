"""Running a coroutine to the end from a test, whatever loop the test's thread already has."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own.

    A browser test's Playwright (sync API) keeps an event loop running in the main thread of a
    test worker for the whole session, and ``asyncio.run`` refuses to start beside it.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
