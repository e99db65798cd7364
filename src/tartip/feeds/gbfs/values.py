"""Single GBFS values: timestamps, versions, ids, localized text, languages, JSON decoding."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import msgspec

from tartip.core.errors import FeedMalformed

# Folders of the official schemas we ship (``tartip/data/gbfs-schemas``).
KNOWN_VERSIONS = ("1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "3.0")
# A POSIX time above this is in milliseconds (year 5138 in seconds): some feeds publish those.
_MS_THRESHOLD = 1e11
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")
_BYTE = re.compile(r"\(byte (\d+)\)")
_BOM = b"\xef\xbb\xbf"


def parse_time(value: object) -> float:
    """POSIX seconds from a GBFS time: an integer (≤2.3) or an RFC 3339 string (3.0).

    Liberal: numbers as strings, milliseconds, a space instead of ``T``, no offset (taken as
    UTC). Raises ``ValueError`` with a reason a person understands.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_time_text(value)
    else:
        raise ValueError(f"{type(value).__name__} is not a time")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a time")
    return seconds / 1000 if seconds > _MS_THRESHOLD else seconds


def _parse_time_text(text: str) -> float:
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError as exc:
        raise ValueError(f"{text!r} is neither POSIX seconds nor an RFC 3339 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def time_or_none(value: object) -> float | None:
    """``parse_time`` that gives None instead of raising (for optional fields)."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def ttl_of(value: object) -> int | None:
    """A ``ttl`` in whole seconds (liberal: floats and numeric strings), or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        return None
    return int(seconds) if math.isfinite(seconds) and seconds >= 0 else None


def declared_version(value: object) -> str | None:
    """The version a document declares, as written (``None`` when absent: GBFS 1.0 had none)."""
    if value is None or isinstance(value, bool):
        return None
    return str(value).strip() or None


def schema_version(declared: str | None) -> str | None:
    """The shipped schema folder for a declared version: exact, else the nearest older one.

    ``3.1-RC`` and later 3.x read as 3.0; an unknown 2.x as 2.3; anything else None.
    """
    if declared is None:
        return None
    match = _VERSION.match(declared)
    if match is None:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    older = [
        v for v in KNOWN_VERSIONS if (int(v[0]), int(v[2])) <= (major, minor) and int(v[0]) == major
    ]
    return older[-1] if older else None


def as_id(value: object) -> str | None:
    """An id as text: strings as given, integers written out (feeds use both)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def localized(value: object, languages: list[str]) -> str | None:
    """Text from a 2.x plain string or a 3.0 list of ``{language, text}``, in the first language
    of ``languages`` that is present (else the first given)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return None
    texts = {
        str(item.get("language")): str(item.get("text"))
        for item in value
        if isinstance(item, dict) and item.get("text") is not None
    }
    for language in languages:
        if language in texts:
            return texts[language]
    return next(iter(texts.values()), None)


def language_preference(chosen: str | None, default_locale: str | None) -> list[str]:
    """The languages to try, best first: the feed's, the city's default locale, English."""
    order: list[str] = []
    for language in (chosen, default_locale, "en"):
        if language and language not in order:
            order.append(language)
    return order


def pick_language(available: list[str], preference: list[str]) -> str | None:
    """The first preferred language offered (also matching ``ru`` to ``ru-KZ``), else the first."""
    for wanted in preference:
        for language in available:
            if language == wanted or language.split("-")[0].lower() == wanted.lower():
                return language
    return available[0] if available else None


def decode_json(body: bytes, *, content_type: str | None = None) -> Any:
    """Decode a JSON document, or raise ``FeedMalformed`` with a message a person understands."""
    check_is_json(body, content_type=content_type)
    body = strip_bom(body)
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise FeedMalformed(json_error_message(body, exc)) from exc


def check_is_json(body: bytes, *, content_type: str | None) -> None:
    """Raise ``FeedMalformed`` when ``body`` is empty or obviously HTML/XML rather than JSON."""
    start = body[:512].lstrip(_BOM + b" \t\r\n")
    if not start:
        raise FeedMalformed("answered with an empty body, not JSON")
    if start.startswith(b"<"):
        kind = content_type.split(";")[0].strip() if content_type else "no content type"
        what = "an HTML page" if b"html" in start[:200].lower() or "html" in kind else "markup"
        raise FeedMalformed(f"answered with {what} ({kind}), not JSON")


def json_error_message(body: bytes, exc: msgspec.DecodeError) -> str:
    """``invalid JSON at line L column C: …`` from msgspec's byte-offset message."""
    text = str(exc)
    reason = text.removeprefix("JSON is malformed: ")
    match = _BYTE.search(reason)
    if match is not None:
        offset = int(match.group(1))
        reason = _BYTE.sub("", reason).strip()
    elif "truncated" in text:
        offset, reason = len(body), "the document ends too early (truncated)"
    else:
        return f"invalid JSON: {reason}"
    line = body.count(b"\n", 0, offset) + 1
    column = offset - (body.rfind(b"\n", 0, offset) + 1) + 1
    return f"invalid JSON at line {line} column {column}: {reason}"


def strip_bom(body: bytes) -> bytes:
    """``body`` without a UTF-8 byte-order mark (some servers add one; JSON parsers refuse it)."""
    return body[len(_BOM) :] if body.startswith(_BOM) else body
