"""Small HTTP helpers shared by the simulator's GBFS, MDS and webhook endpoints."""

from __future__ import annotations

import gc
import gzip
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.requests import Request

GZIP_MIN_BYTES = 1400


def accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding names gzip with a weight above 0."""
    for part in request.headers.get("accept-encoding", "").split(","):
        name, *params = part.split(";")
        if name.strip().lower() != "gzip":
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value) > 0.0
                except ValueError:
                    return False
        return True
    return False


def maybe_gzip(request: Request, body: bytes, headers: dict[str, str]) -> bytes:
    """``body`` gzipped (level 1) when it is big enough and the client asks; sets the headers."""
    headers["Vary"] = "Accept-Encoding"
    if len(body) < GZIP_MIN_BYTES or not accepts_gzip(request):
        return body
    headers["Content-Encoding"] = "gzip"
    return gzip.compress(body, compresslevel=1, mtime=0)


def media_params(value: str) -> tuple[str, dict[str, str]]:
    """A media type and its parameters: ``a/b; version=2.0`` → ``("a/b", {"version": "2.0"})``."""
    kind, *params = value.split(";")
    found = {}
    for param in params:
        key, _, val = param.partition("=")
        found[key.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), found


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small records.

    An hour of MDS records is ~100,000 small dicts and lists, none of them in a cycle; the
    collector's passes over them made building a document three times slower.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
