"""Fault injection: make a simulated company's feed fail the way real feeds do.

Modes (set per company through the control endpoint, see docs/simulator.md):

- ``ok``: normal answers.
- ``down``: HTTP 503 with ``Retry-After``.
- ``html_error``: HTTP 200 with an HTML error page (a proxy or CDN in front of a broken backend).
- ``malformed_json``: HTTP 200, ``application/json``, the document cut off halfway.
- ``slow``: the normal answer after ``delay_s`` seconds (beyond a client's timeout).
- ``bad_record``: the normal document with one bad vehicle among the good ones
  (``record``: ``lat_999`` puts it at latitude 999, ``missing_id`` leaves out its id).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import orjson

from tartip.core.errors import InvalidInput, Problem

E = TypeVar("E", bound=StrEnum)

DEFAULT_DELAY_S = 30.0
MAX_DELAY_S = 600.0
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server is not responding.</p>"
    b"<hr><address>nginx</address></body></html>\n"
)


class FaultMode(StrEnum):
    """How a simulated feed misbehaves."""

    ok = "ok"
    down = "down"
    html_error = "html_error"
    malformed_json = "malformed_json"
    slow = "slow"
    bad_record = "bad_record"


class BadRecord(StrEnum):
    """Which kind of bad vehicle record ``bad_record`` injects."""

    lat_999 = "lat_999"
    missing_id = "missing_id"


@dataclass(frozen=True)
class Fault:
    """The fault set on one company's feed; ``feeds`` limits it to some files (None: all)."""

    mode: FaultMode = FaultMode.ok
    delay_s: float = DEFAULT_DELAY_S
    record: BadRecord = BadRecord.lat_999
    feeds: frozenset[str] | None = None

    def applies_to(self, feed: str) -> bool:
        """Whether the fault changes answers for ``feed`` (e.g. ``free_bike_status``)."""
        return self.mode is not FaultMode.ok and (self.feeds is None or feed in self.feeds)

    def as_json(self) -> dict[str, Any]:
        """The fault as the control endpoint shows it."""
        return {
            "mode": self.mode.value,
            "delay_s": self.delay_s,
            "record": self.record.value,
            "feeds": sorted(self.feeds) if self.feeds is not None else None,
        }


def _choice(value: object, kind: type[E], where: str, problems: list[Problem]) -> E | None:
    """``value`` as a member of ``kind``, or None with a problem noted."""
    for member in kind:
        if value == member.value:
            return member
    allowed = ", ".join(m.value for m in kind)
    problems.append(Problem(where, f"must be one of: {allowed}"))
    return None


def parse_fault(body: object) -> Fault:
    """A ``Fault`` from a control request's JSON body, or ``InvalidInput`` saying what is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput("a JSON object is expected", problems=[Problem("$", "not an object")])
    problems: list[Problem] = []
    unknown = set(body) - {"mode", "delay_s", "record", "feeds"}
    problems += [Problem(key, "unknown field") for key in sorted(unknown)]
    mode = _choice(body.get("mode"), FaultMode, "mode", problems)
    record = _choice(body.get("record", BadRecord.lat_999.value), BadRecord, "record", problems)
    delay = body.get("delay_s", DEFAULT_DELAY_S)
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        problems.append(Problem("delay_s", "must be a number of seconds"))
    elif not 0 <= delay <= MAX_DELAY_S:
        problems.append(Problem("delay_s", f"must be between 0 and {MAX_DELAY_S:g}"))
    feeds = body.get("feeds")
    if feeds is not None and not (
        isinstance(feeds, list) and all(isinstance(f, str) for f in feeds)
    ):
        problems.append(Problem("feeds", "must be a list of feed names, or null"))
    if problems:
        raise InvalidInput("not a valid fault", problems=problems)
    assert mode is not None and record is not None  # a None noted a problem above
    return Fault(
        mode=mode,
        delay_s=float(delay),
        record=record,
        feeds=frozenset(feeds) if feeds is not None else None,
    )


def bad_vehicle(record: BadRecord, *, id_key: str) -> dict[str, Any]:
    """A vehicle record that breaks the GBFS schema in the way ``record`` names."""
    vehicle: dict[str, Any] = {
        id_key: "bad-record-lat-999",
        "lat": 999.0,
        "lon": 76.945,
        "is_reserved": False,
        "is_disabled": False,
    }
    if record is BadRecord.missing_id:
        del vehicle[id_key]
        vehicle["lat"] = 43.2389
    return vehicle


def inject_bad_record(body: bytes, record: BadRecord) -> bytes:
    """``body`` with one bad vehicle in the middle of its vehicle list (other feeds unchanged).

    Works on the serialised bytes: orjson writes no spaces and vehicle records are flat objects,
    so ``},{`` only ever separates two vehicles.
    """
    for array, id_key in ((b'"bikes":[', "bike_id"), (b'"vehicles":[', "vehicle_id")):
        start = body.find(array)
        if start < 0:
            continue
        bad = orjson.dumps(bad_vehicle(record, id_key=id_key))
        middle = body.find(b"},{", start + (len(body) - start) // 2)
        if middle >= 0:
            cut = middle + 2
            return body[:cut] + bad + b"," + body[cut:]
        cut = start + len(array)
        separator = b"" if body[cut : cut + 1] == b"]" else b","
        return body[:cut] + bad + separator + body[cut:]
    return body


def truncate(body: bytes) -> bytes:
    """The first half of ``body``: JSON that stops in the middle."""
    return body[: max(1, len(body) // 2)]
