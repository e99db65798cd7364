"""Pushing a simulated company's MDS data to Tartip's Agency API, as a pushing company would.

For each company set to push (``--push whoosh`` with ``--tartip-token whoosh=…`` and
``--tartip-url``, or ``POST /_control/config``), the pusher, at ``{tartip}/api/v1/mds/agency/``:

1. registers the company's vehicles (``POST vehicles``; ``409`` or ``already_registered`` means
   done), then sends each vehicle's state at the start (the event ``vehicles/status`` shows before
   any other), then every event, position report and finished trip as they happen, in that order
   (``POST vehicles/events``, ``vehicles/telemetry``, ``trips``; should Tartip answer 404 there,
   the MDS paths ``events`` and ``telemetry`` are tried), ``push_batch`` records a request, with
   ``Authorization: Bearer <company token>`` and ``Accept: application/vnd.mds+json;version=2.0``;
2. keeps in memory what is not yet accepted and tries again with backoff (1 s doubling to 60 s)
   while Tartip is down, restarting or refusing the token: nothing is lost. Only past
   ``push_queue_limit`` queued records does it drop the oldest (position reports first), and
   counts them;
3. drops, and counts as rejected, records Tartip refuses as invalid (a bulk answer's
   ``failures``, or a 400/422 without one); records refused as ``unregistered`` are sent again
   after registering their vehicles again.

The records are the Provider API's (``MdsData``), so pull and push show the same ids and times.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson

from tartip.simulator.config import SimulatorConfig
from tartip.simulator.history import Events, Trips
from tartip.simulator.httputil import gc_paused
from tartip.simulator.mds import MdsData, Points, Record, event_points, sample_trips
from tartip.simulator.simulation import Simulation

log = logging.getLogger(__name__)

AGENCY_PATH = "/api/v1/mds/agency"
# Per kind: the contract's path first, then the MDS 2.0 Agency path.
PATHS = {
    "vehicles": ("vehicles",),
    "events": ("vehicles/events", "events"),
    "telemetry": ("vehicles/telemetry", "telemetry"),
    "trips": ("trips",),
}
ORDER = ("vehicles", "resend", "events", "telemetry", "trips")
HEADERS = {
    "Accept": "application/vnd.mds+json;version=2.0",
    "Content-Type": "application/json",
}
MAX_BACKOFF_S = 60.0


@dataclass
class Resend:
    """Records Tartip refused as unregistered, to send again once registered."""

    kind: str
    records: list[Record]

    def __len__(self) -> int:
        return len(self.records)


def _cut(chunk: Any, start: int, stop: int | None = None) -> Any:
    """Rows ``start:stop`` of a chunk (an id array, columns, or a ``Resend``)."""
    if isinstance(chunk, np.ndarray):
        return chunk[start:stop]
    if isinstance(chunk, Resend):
        return Resend(chunk.kind, chunk.records[start:stop])
    end = len(chunk) if stop is None else stop
    return chunk.take(np.arange(start, end))


@dataclass
class Outbox:
    """One pushing company's queues, cursors and counters."""

    index: int
    slug: str
    queues: dict[str, deque[Any]] = field(default_factory=lambda: {k: deque() for k in ORDER})
    event_cursor: int = 0
    trip_cursor: int = 0
    path_choice: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))
    dropped: int = 0
    failures: int = 0
    next_at: float = 0.0
    last_error: str | None = None
    last_accepted_at: str | None = None

    def queued(self, kind: str) -> int:
        """Rows waiting in the ``kind`` queue."""
        return sum(len(chunk) for chunk in self.queues[kind])

    def path(self, kind: str) -> str:
        """The path in use for ``kind``."""
        return PATHS[kind][self.path_choice[kind]]

    def as_json(self) -> dict[str, Any]:
        """The outbox as ``/_control`` shows it."""
        return {
            "queued": {kind: self.queued(kind) for kind in ORDER},
            "sent": dict(self.sent),
            "rejected": dict(self.rejected),
            "dropped": self.dropped,
            "paths": {kind: self.path(kind) for kind in PATHS},
            "last_error": self.last_error,
            "last_accepted_at": self.last_accepted_at,
            "retry_in_s": max(0.0, round(self.next_at - time.monotonic(), 1)),
        }


def _head(queue: deque[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows of ``queue`` as pieces, without removing them."""
    pieces, taken = [], 0
    for chunk in queue:
        if taken >= limit:
            break
        piece = chunk if len(chunk) <= limit - taken else _cut(chunk, 0, limit - taken)
        pieces.append(piece)
        taken += len(piece)
    return pieces, taken


def _consume(queue: deque[Any], rows: int) -> None:
    """Remove the first ``rows`` rows of ``queue``."""
    while rows > 0 and queue:
        first = queue[0]
        if len(first) <= rows:
            queue.popleft()
            rows -= len(first)
        else:
            queue[0] = _cut(first, rows)
            rows = 0


class AgencyPusher:
    """Pushes the pushing companies' MDS data to Tartip's Agency API."""

    def __init__(self, simulation: Simulation, config: SimulatorConfig, data: MdsData) -> None:
        self.simulation = simulation
        self.config = config
        self.data = data
        self.outboxes: dict[str, Outbox] = {}

    def sync(self) -> None:
        """Start or stop pushing as configured; queue what happened since the last call."""
        for slug, link in self.config.companies.items():
            active = bool(link.push and link.tartip_token and self.config.tartip_url)
            if not active:
                self.outboxes.pop(slug, None)
            elif slug not in self.outboxes:
                self.outboxes[slug] = self._open(slug)
        for outbox in self.outboxes.values():
            self._drain(outbox)

    def _open(self, slug: str) -> Outbox:
        """A new outbox: register every vehicle, then their states at the start."""
        index = self.simulation.scenario.company_index(slug)
        outbox = Outbox(index, slug)
        outbox.queues["vehicles"].append(self.data.vehicles_of(index))
        initial = self.simulation.history.initial
        outbox.queues["events"].append(self.data.company_events(index, initial))
        log.info("pushing %s's MDS data to Tartip's Agency API", slug)
        return outbox

    def _drain(self, outbox: Outbox) -> None:
        """Queue the company's events, position reports and trips logged since last time."""
        history, index = self.simulation.history, outbox.index
        events: Events = self.data.company_events(index, history.events_since(outbox.event_cursor))
        outbox.event_cursor = history.next_event
        trips: Trips = self.data.company_trips(index, history.trips_since(outbox.trip_cursor))
        outbox.trip_cursor = history.next_trip_seq
        queues = outbox.queues
        if len(events):
            queues["events"].append(events)
            points: Points = event_points(events)
            if len(points):
                queues["telemetry"].append(points)
        if len(trips):
            queues["telemetry"].append(sample_trips(trips)[0])
            queues["trips"].append(trips)
        self._limit(outbox)

    def _limit(self, outbox: Outbox) -> None:
        """Drop the oldest records past ``push_queue_limit`` (position reports first)."""
        excess = sum(outbox.queued(k) for k in ORDER) - self.config.push_queue_limit
        for kind in ("telemetry", "events", "trips", "resend", "vehicles"):
            if excess <= 0:
                return
            rows = min(excess, outbox.queued(kind))
            _consume(outbox.queues[kind], rows)
            outbox.dropped += rows
            excess -= rows
            log.warning("%s: Agency queue full, dropped %d %s records", outbox.slug, rows, kind)

    async def flush(self, client: httpx.AsyncClient) -> None:
        """Send every queued record that Tartip accepts now; back off on failure."""
        for outbox in list(self.outboxes.values()):
            if outbox.next_at > time.monotonic():
                continue
            while True:
                kind = next((k for k in ORDER if outbox.queues[k]), None)
                if kind is None:
                    break
                if not await self._send(client, outbox, kind):
                    outbox.failures += 1
                    delay = min(MAX_BACKOFF_S, 2.0 ** (outbox.failures - 1))
                    outbox.next_at = time.monotonic() + delay
                    break
                outbox.failures = 0

    def _records(self, outbox: Outbox, kind: str, pieces: list[Any]) -> tuple[str, list[Record]]:
        """The records of a batch and the kind they are sent as."""
        index, data, records = outbox.index, self.data, []
        for piece in pieces:
            if kind == "vehicles":
                records += data.vehicles(index, piece)
            elif kind == "events":
                records += data.events(index, piece)
            elif kind == "telemetry":
                records += data.telemetry(index, piece)
            elif kind == "trips":
                records += data.trips(index, piece)
            else:
                return piece.kind, list(piece.records)
        return kind, records

    async def _send(self, client: httpx.AsyncClient, outbox: Outbox, queue: str) -> bool:
        """Send one batch from ``queue``; False when it must wait (Tartip unreachable, …)."""
        if queue == "resend":
            first = outbox.queues[queue][0]
            pieces, rows = [first], len(first)
        else:
            pieces, rows = _head(outbox.queues[queue], self.config.push_batch)
        with gc_paused():
            kind, records = self._records(outbox, queue, pieces)
        token = self.config.link(outbox.slug).tartip_token
        url = f"{self.config.tartip_url}{AGENCY_PATH}/{outbox.path(kind)}"
        headers = {**HEADERS, "Authorization": f"Bearer {token}"}
        try:
            response = await client.post(url, content=orjson.dumps(records), headers=headers)
        except httpx.HTTPError as exc:
            outbox.last_error = f"{kind}: {type(exc).__name__}: {exc}"
            return False
        status = response.status_code
        # A bulk answer (MDS: 404 with ``failures`` for unregistered devices) is read first; only
        # a 404 without one means a wrong path.
        failures = _failures(response)
        if status == 404 and failures is None and outbox.path_choice[kind] + 1 < len(PATHS[kind]):
            outbox.path_choice[kind] += 1  # the MDS path instead of the contract's
            return True
        if failures is None and (status in (401, 403, 404, 408, 429) or status >= 500):
            outbox.last_error = f"{kind}: HTTP {status} {response.text[:200]}"
            return False
        _consume(outbox.queues[queue], rows)
        if response.is_success or failures is not None or (kind == "vehicles" and status == 409):
            refused = self._refused(outbox, kind, failures or [])
            outbox.sent[kind] += len(records) - refused
            outbox.last_accepted_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            return True
        # Refused as a whole without saying which record: not worth sending again.
        outbox.rejected[kind] += len(records)
        outbox.last_error = f"{kind}: HTTP {status} {response.text[:200]}"
        log.warning("%s: Tartip refused %d %s: %s", outbox.slug, len(records), kind, status)
        return True

    def _refused(self, outbox: Outbox, kind: str, failures: list[Any]) -> int:
        """Handle a bulk answer's failures; how many records are refused for good."""
        refused, unregistered = 0, []
        for failure in failures:
            error = failure.get("error") if isinstance(failure, dict) else None
            item = failure.get("item") if isinstance(failure, dict) else None
            if error == "already_registered":
                continue
            if error == "unregistered" and isinstance(item, dict) and kind != "vehicles":
                unregistered.append(item)
                continue
            refused += 1
            outbox.last_error = f"{kind}: {str(failure)[:200]}"
        outbox.rejected[kind] += refused
        if unregistered:
            devices = {str(item.get("device_id")) for item in unregistered}
            vehicles = [self.data.vehicle_of(outbox.index, d) for d in devices]
            known = np.array(sorted(v for v in vehicles if v is not None), dtype=np.int64)
            outbox.queues["vehicles"].append(known)
            outbox.queues["resend"].append(Resend(kind, unregistered))
        return refused + len(unregistered)

    def as_json(self) -> dict[str, Any]:
        """Every outbox, as ``/_control`` shows it."""
        return {slug: outbox.as_json() for slug, outbox in self.outboxes.items()}


def _failures(response: httpx.Response) -> list[Any] | None:
    """The ``failures`` of an MDS bulk answer, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    failures = body.get("failures") if isinstance(body, dict) else None
    return failures if isinstance(failures, list) else None
