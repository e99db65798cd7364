"""Auto-discovery (``gbfs.json``) and telling which GBFS file a document is.

1.x and 2.x list feeds per language (``data.<language>.feeds``); 3.0 lists them once
(``data.feeds``). Both shapes are read whatever the declared version says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

from tartip.core.errors import FeedMalformed, Problem
from tartip.feeds.gbfs.values import (
    check_is_json,
    declared_version,
    language_preference,
    pick_language,
    strip_bom,
    time_or_none,
    ttl_of,
)

# Files Tartip reads, in the order a poll fetches them (static ones first: vehicles at a station
# take the station's position).
STATIC_FILES = ("system_information", "vehicle_types", "station_information", "geofencing_zones")
VEHICLE_FILES = ("vehicle_status", "free_bike_status")
DYNAMIC_FILES = (*VEHICLE_FILES, "station_status")
POLLED_FILES = frozenset({*STATIC_FILES, *DYNAMIC_FILES})
KNOWN_FILES = frozenset({"gbfs", "gbfs_versions", "manifest", *STATIC_FILES, *DYNAMIC_FILES})


@dataclass
class Discovery:
    """What ``gbfs.json`` says: the version, the language used and each file's URL."""

    version: str | None
    language: str | None
    languages: list[str]
    feeds: dict[str, str]
    last_updated: float | None
    ttl: int | None
    problems: list[Problem] = field(default_factory=list)


def read_discovery(doc: Any, *, language: str | None, default_locale: str | None) -> Discovery:
    """Read a decoded ``gbfs.json``.

    Of 1.x/2.x per-language lists, the feed's own ``language`` is used, else the city's default
    locale, else English, else the first listed.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise FeedMalformed("not a GBFS auto-discovery document: no data object")
    data = doc["data"]
    problems: list[Problem] = []
    chosen: str | None = None
    languages: list[str] = []
    if isinstance(data.get("feeds"), list):
        entries, base = data["feeds"], "data.feeds"
    else:
        languages = [k for k, v in data.items() if isinstance(v, dict) and "feeds" in v]
        chosen = pick_language(languages, language_preference(language, default_locale))
        if chosen is None:
            raise FeedMalformed("not a GBFS auto-discovery document: no feeds listed")
        entries, base = data[chosen].get("feeds"), f"data.{chosen}.feeds"
        if language and chosen.split("-")[0].lower() != language.lower():
            problems.append(Problem("data", f"no feeds in {language!r}; using {chosen!r}"))
    feeds = _feed_urls(entries, base, problems)
    return Discovery(
        version=declared_version(doc.get("version")),
        language=chosen,
        languages=languages,
        feeds=feeds,
        last_updated=time_or_none(doc.get("last_updated")),
        ttl=ttl_of(doc.get("ttl")),
        problems=problems,
    )


def _feed_urls(entries: object, base: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(entries, list):
        raise FeedMalformed(f"not a GBFS auto-discovery document: {base} is not a list")
    feeds: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{base}[{index}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "not an object; skipped"))
            continue
        name, url = entry.get("name"), entry.get("url")
        if not isinstance(name, str) or not isinstance(url, str):
            problems.append(Problem(where, "needs a name and a url; skipped"))
            continue
        if urlsplit(url).scheme not in {"http", "https"}:
            problems.append(Problem(f"{where}.url", f"{url!r} is not an http(s) URL; skipped"))
            continue
        feeds.setdefault(name, url)
    return feeds


class _Shape(msgspec.Struct):
    data: dict[str, msgspec.Raw]


_SHAPE = msgspec.json.Decoder(_Shape)
_STATION_STATUS_KEYS = {"num_bikes_available", "num_vehicles_available", "num_docks_available"}


def detect_file(body: bytes, *, url: str, content_type: str | None = None) -> str | None:
    """Which GBFS file ``body`` is, from the keys of its ``data`` (else from the URL's name)."""
    check_is_json(body, content_type=content_type)
    try:
        data = _SHAPE.decode(strip_bom(body)).data
    except (msgspec.DecodeError, msgspec.ValidationError):
        return _name_from_url(url)
    found = _kind_from_keys(data)
    return found if found is not None else _name_from_url(url)


def _kind_from_keys(data: dict[str, msgspec.Raw]) -> str | None:
    by_key = {
        "feeds": "gbfs",
        "bikes": "free_bike_status",
        "vehicles": "vehicle_status",
        "geofencing_zones": "geofencing_zones",
        "vehicle_types": "vehicle_types",
        "system_id": "system_information",
        "versions": "gbfs_versions",
    }
    for key, kind in by_key.items():
        if key in data:
            return kind
    if "stations" in data:
        return _station_kind(data["stations"])
    if any(_is_language_block(raw) for raw in data.values()):
        return "gbfs"
    return None


def _station_kind(raw: msgspec.Raw) -> str | None:
    try:
        stations = msgspec.json.decode(raw, type=list[dict[str, msgspec.Raw]])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not stations:
        return None
    keys = set(stations[0])
    return "station_status" if keys & _STATION_STATUS_KEYS else "station_information"


def _is_language_block(raw: msgspec.Raw) -> bool:
    try:
        block = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return "feeds" in block


def _name_from_url(url: str) -> str | None:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
    return name if name in KNOWN_FILES else None
