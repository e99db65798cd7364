"""The one exception tree of Tartip. Services raise these; ``app.py`` turns them into HTTP.

TartipError
├── NotFound            the thing does not exist, or the caller may not know it does
├── Forbidden           the caller is known but may not do this
├── Unauthenticated     the caller is not known (no session, bad token)
├── Conflict            the change clashes with the current state (duplicate, wrong phase)
├── InvalidInput        the input is wrong; ``problems`` says where and why
└── FeedError           a sharing company's feed could not be used
    ├── FeedUnavailable the feed did not answer, or answered with an HTTP error
    └── FeedMalformed   the feed answered with something that is not a usable document
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a JSON path or field) and what."""

    where: str
    message: str


class TartipError(Exception):
    """Base of every error Tartip raises on purpose."""

    status_code = 500
    code = "error"

    def __init__(self, message: str, *, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class NotFound(TartipError):
    """The thing does not exist, or the caller may not know it does."""

    status_code = 404
    code = "not_found"


class Forbidden(TartipError):
    """The caller is known but may not do this."""

    status_code = 403
    code = "forbidden"


class Unauthenticated(TartipError):
    """The caller is not known."""

    status_code = 401
    code = "unauthenticated"


class Conflict(TartipError):
    """The change clashes with the current state."""

    status_code = 409
    code = "conflict"


class InvalidInput(TartipError):
    """The input is wrong; ``problems`` names each place."""

    status_code = 422
    code = "invalid_input"


class FeedError(TartipError):
    """A sharing company's feed could not be used."""

    status_code = 502
    code = "feed_error"


class FeedUnavailable(FeedError):
    """The feed did not answer, or answered with an HTTP error."""

    code = "feed_unavailable"


class FeedMalformed(FeedError):
    """The feed answered with something that is not a usable document."""

    code = "feed_malformed"
