"""The feed adapter contract: one class per protocol, chosen from ``ADAPTERS`` by ``Feed.protocol``.

An adapter turns one poll of a company's feed into a ``PullReport``::

    adapter = ADAPTERS[feed.protocol](client=client, settings=settings)
    report = adapter.pull(source, now=now)

What every adapter does, and what it may rely on:

- **Input.** A ``FeedSource``: the feed's URL and language, the city's default locale, and the
  state the previous poll left (``version``, ``feed_urls``, ``file_state`` with ETags,
  ``last_updated`` and ``ttl`` per file). Adapters treat it as a value; the state for the next poll
  is returned in ``report.source``.
- **HTTP.** Only through the client it was given (``tartip.feeds.http.make_client``: timeout,
  User-Agent, bounded retries) and ``tartip.feeds.http.fetch`` (conditional requests, size limit).
  Tests give a client over ``httpx.MockTransport``.
- **No database, no clock of its own.** ``now`` is passed in; the service stores the report.
- **Never raises for the feed's faults.** Every fetch becomes a ``FileReport`` (the ``FeedPull``
  row-to-be) whose ``outcome`` is ``ok``, ``not_modified`` (HTTP 304, or the same ``last_updated``
  as last time) or ``error`` with a message a person understands. A programming error still raises.
- **Output.** ``report.vehicles`` is the snapshot to apply (``None`` when the vehicle file failed,
  did not change, or the feed has none: no vehicle may change then). The static parts
  (``vehicle_types``, ``stations``, ``geofences``, ``system``) are ``None`` unless they were
  re-read in this poll. ``report.main`` is the file whose outcome decides the feed's health.
- **Defaults.** Static files are re-read when their ``ttl`` ran out (``static_interval_s``); the
  vehicle file on every poll. Big record arrays are schema-checked on a sample
  (``settings.schema_sample_records``) unless the adapter was made with ``full_check=True`` (the
  ``tartip feeds check`` command), which also ignores the previous state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from tartip.core.errors import Problem
from tartip.feeds.enums import PullOutcome
from tartip.feeds.gbfs.static import Geofences, StationInfo, StationStatusInfo, VehicleTypeInfo
from tartip.fleet.live import VehicleObservation
from tartip.settings import Settings

# Static files are never re-read more often than this, whatever their ttl (0 = "any time").
STATIC_FLOOR_S = 60.0
STATIC_CEILING_S = 24 * 3600.0


@dataclass
class FeedSource:
    """What an adapter knows about a feed: its configuration and the previous poll's state."""

    url: str
    language: str | None = None
    default_locale: str | None = None
    version: str | None = None
    feed_urls: dict[str, str] = field(default_factory=dict)
    # Per file name: url, etag, last_modified, last_updated, ttl, fetched_at (POSIX seconds).
    file_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Station positions, for vehicles that give a station instead of coordinates.
    station_coords: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class FileReport:
    """One fetch of one file: becomes a ``FeedPull`` row."""

    file: str
    url: str
    started_at: datetime
    outcome: PullOutcome = PullOutcome.ok
    http_status: int | None = None
    latency_ms: float | None = None
    bytes: int | None = None
    records: int | None = None
    error: str | None = None
    # Each with a JSON path: records that could not be used, official-schema problems, and
    # notes (quirks read liberally, a version that does not match the shape…).
    rejected: list[Problem] = field(default_factory=list)
    schema: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    # Which records the schema check covered, when it covered only a sample.
    sampled: Problem | None = None
    version: str | None = None
    last_updated: float | None = None
    ttl: int | None = None

    @property
    def records_rejected(self) -> int:
        """How many records could not be used."""
        return len(self.rejected)

    @property
    def schema_problems(self) -> int:
        """How many official-schema problems were found."""
        return len(self.schema)

    @property
    def problems(self) -> list[Problem]:
        """Everything worth showing, most useful first: the sample, rejections, schema, notes."""
        head = [self.sampled] if self.sampled is not None else []
        return [*head, *self.rejected, *self.schema, *self.notes]

    def fail(self, message: str) -> None:
        """Mark this fetch as failed with ``message``."""
        self.outcome = PullOutcome.error
        self.error = message


@dataclass
class VehicleSnapshot:
    """Every usable vehicle of one vehicle document, with the document's stamps."""

    observations: list[VehicleObservation]
    last_updated: float | None
    ttl: int | None


@dataclass
class PullReport:
    """Everything one poll fetched and read."""

    source: FeedSource
    files: list[FileReport] = field(default_factory=list)
    main_file: str | None = None
    vehicles: VehicleSnapshot | None = None
    system: dict[str, Any] | None = None
    vehicle_types: list[VehicleTypeInfo] | None = None
    stations: list[StationInfo] | None = None
    station_status: list[StationStatusInfo] | None = None
    geofences: Geofences | None = None

    @property
    def main(self) -> FileReport | None:
        """The last fetch of the file that decides the feed's health, if it was fetched."""
        found = [f for f in self.files if f.file == self.main_file]
        return found[-1] if found else None


class FeedAdapter(Protocol):
    """A protocol's reader (see the module docstring for the contract)."""

    def __init__(
        self, *, client: httpx.Client, settings: Settings, full_check: bool = False
    ) -> None: ...

    def pull(self, source: FeedSource, *, now: datetime) -> PullReport:
        """Fetch and read what is due for ``source`` at ``now``."""
        ...


def static_interval_s(ttl: int | None, settings: Settings) -> float:
    """How long a static file read with ``ttl`` stays good: its ttl, floored and capped.

    A ttl of 0 means "may change at any time"; for static files that would mean re-reading
    megabytes of geofences on every poll, so they are then re-read every
    ``settings.poll_max_interval_s``.
    """
    seconds = float(ttl) if ttl else settings.poll_max_interval_s
    return min(max(seconds, STATIC_FLOOR_S, settings.poll_min_interval_s), STATIC_CEILING_S)
