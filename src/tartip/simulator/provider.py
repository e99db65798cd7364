"""The simulated companies' MDS Provider APIs over HTTP, at ``/{company}/mds/…``.

The version comes from the Accept header, as MDS asks: ``application/vnd.mds+json;version=2.0``
gives 2.0, ``application/vnd.mds.provider+json;version=1.2`` (1.x's media type, or the 2.0 one with
``version=1.2``) gives 1.2, anything else 406 (a request without it would mean MDS 0.2).

==========================  =================================  =============================
path                        2.0                                1.2
==========================  =================================  =============================
``vehicles[/{device_id}]``  vehicles (paged)                   vehicles with their last event
``vehicles/status[/{id}]``  vehicles_status (paged)            vehicles (as above, no id)
``trips?end_time=H``        trips ending in hour H             trips, with routes
``events/historical``       events of hour ``event_time``      status_changes (also at
                                                               ``status_changes?event_time=``)
``events/recent``           events in ``[start_time,           status_changes (also at
                            end_time)`` ms (paged)             ``events?start_time=&end_time=``)
``telemetry``               position reports of hour           –
                            ``telemetry_time`` (paged)
``reports/YYYY-MM.csv``     the month's report (CSV); also     –
                            ``reports?start_time=YYYY-MM``
==========================  =================================  =============================

Hours (``YYYY-MM-DDTHH``, UTC) follow MDS: 404 for an hour not yet over, one before the simulator
started or older than it keeps; 202 (with ``Retry-After``) for an hour over for less than
``mds_ready_after_s`` simulated seconds; else 200, with an empty list for an hour without any.
``trips`` and ``events/historical`` are never paged (MDS forbids it); the other lists are, with
``links.next`` (``null`` on the last page). Errors carry the MDS error body.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response

from tartip.simulator import faults
from tartip.simulator.auth import ProviderAuth, basic_credentials
from tartip.simulator.config import SimulatorConfig
from tartip.simulator.faults import BadRecord, Fault, FaultMode
from tartip.simulator.history import HOUR_S, Events
from tartip.simulator.httputil import gc_paused, maybe_gzip, media_params
from tartip.simulator.mds import BODY_VERSION, VERSIONS, MdsData, Points, Record
from tartip.simulator.places import IntArray
from tartip.simulator.simulation import Simulation

MEDIA = {
    "2.0": "application/vnd.mds+json;version=2.0",
    "1.2": "application/vnd.mds.provider+json;version=1.2",
}
CSV_MEDIA = "text/vnd.mds+csv;version=2.0"
JSON = "application/json"
MDS_TYPES = ("application/vnd.mds+json", "application/vnd.mds.provider+json", "text/vnd.mds+csv")
HOUR = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2})")
MONTH = re.compile(r"(\d{4})-(\d{2})")
RECENT_MAX_S = 14 * 86_400.0
STATIC_TTL_MS = 300_000  # the most MDS allows
RETRY_AFTER_S = 60
CACHED_HOURS = 64
CACHED_HOUR_BYTES = 128_000_000
CACHED_POINTS = 6


@dataclass
class Answer:
    """An HTTP answer before faults and compression."""

    status: int
    body: bytes
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


class MdsError(Exception):
    """An answer other than 200, with the MDS error body."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        details: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        body = {
            "error": error,
            "error_description": description,
            "error_details": details or [error],
        }
        self.answer = Answer(status, orjson.dumps(body), JSON, headers or {})


def negotiate(accept: str | None, *, csv: bool = False) -> str:
    """The MDS version an Accept header asks for; ``MdsError`` 406 when none is served.

    ``csv``: the endpoint answers CSV (reports, 2.0 only), asked for as ``text/vnd.mds+csv`` or,
    liberally, with the JSON media type.
    """
    for part in (accept or "").split(","):
        kind, params = media_params(part)
        version = ".".join(params.get("version", "").split(".")[:2])
        if kind not in MDS_TYPES or version not in VERSIONS:
            continue
        if csv and version == "2.0":
            return version
        if not csv and kind != "text/vnd.mds+csv":
            return version
    wanted = f"{CSV_MEDIA} or {MEDIA['2.0']}" if csv else f"{MEDIA['2.0']} or {MEDIA['1.2']}"
    raise MdsError(
        406,
        "unsupported_version",
        f"no MDS version this server speaks in the Accept header; send Accept: {wanted}",
        [f"Accept: {accept or '(none: MDS 0.2 by default)'}"],
    )


def parse_hour(params: dict[str, str], name: str) -> int:
    """The POSIX hour number of a ``YYYY-MM-DDTHH`` query parameter (UTC)."""
    value = params.get(name)
    if value is None:
        raise MdsError(400, "missing_param", f"{name} is required (YYYY-MM-DDTHH, UTC)", [name])
    match = HOUR.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour = (int(g) for g in match.groups())
        moment = datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        raise MdsError(
            400, "bad_param", f"{name} must be an hour as YYYY-MM-DDTHH (UTC)", [name]
        ) from None
    return int(moment.timestamp()) // HOUR_S


def _int_param(params: dict[str, str], name: str) -> int:
    value = params.get(name)
    if value is None:
        raise MdsError(400, "missing_param", f"{name} is required (milliseconds)", [name])
    if not value.isdigit() or len(value) > 16:
        raise MdsError(400, "bad_param", f"{name} must be a timestamp in milliseconds", [name])
    return int(value)


def _cursor(params: dict[str, str], name: str) -> int:
    value = params.get(name)
    if value is None:
        return -1
    if not value.isdigit() or len(value) > 12:
        raise MdsError(400, "bad_param", f"{name} must be the value a links URL gave", [name])
    return int(value)


def spoil(records: list[Record], record: BadRecord) -> list[Record]:
    """``records`` with one bad record inserted in the middle (fault injection)."""
    bad: Any = orjson.loads(orjson.dumps(records[len(records) // 2])) if records else {}
    if record is BadRecord.missing_id or not _set_lat_999(bad):
        bad.pop("device_id", None)
    middle = len(records) // 2
    return [*records[:middle], bad, *records[middle:]]


def _set_lat_999(node: Any) -> bool:
    """Put the first position in ``node`` at latitude 999; False when it has none."""
    if isinstance(node, dict):
        if "lat" in node:
            node["lat"] = 999.0
            return True
        if node.get("type") == "Point":
            node["coordinates"][1] = 999.0
            return True
        return any(_set_lat_999(v) for v in node.values())
    if isinstance(node, list):
        return any(_set_lat_999(v) for v in node)
    return False


@dataclass(frozen=True)
class Ask:
    """One request to a company's Provider API, as the handlers need it."""

    index: int
    slug: str
    version: str
    path: str
    params: dict[str, str]
    base: str
    bad: BadRecord | None

    def url(self, **params: object) -> str:
        """The URL of this endpoint with ``params`` (replacing the paging ones)."""
        query = {k: v for k, v in self.params.items() if k not in ("cursor", "offset")}
        query |= {k: str(v) for k, v in params.items()}
        return f"{self.base}/{self.slug}/mds/{self.path}" + (
            f"?{urlencode(query)}" if query else ""
        )

    def links(self, name: str, following: int | None) -> dict[str, str | None]:
        """MDS paging links: the first page and the next (None on the last page)."""
        return {
            "first": self.url(),
            "next": None if following is None else self.url(**{name: following}),
        }


class MdsProvider:
    """Serves every simulated company's MDS Provider API (and its OAuth token endpoint)."""

    def __init__(
        self,
        simulation: Simulation,
        config: SimulatorConfig,
        company_faults: dict[str, Fault],
        *,
        wall_seconds: Callable[[float], float],
        status_ttl_ms: int,
    ) -> None:
        self.simulation = simulation
        self.config = config
        self.data = MdsData(simulation)
        self.auth = ProviderAuth(config)
        self._faults = company_faults
        self._wall_seconds = wall_seconds
        self._status_ttl_ms = min(status_ttl_ms, STATIC_TTL_MS)
        self._hours: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._hour_bytes = 0
        self._points: OrderedDict[tuple[int, int], Points] = OrderedDict()
        self._recent: OrderedDict[tuple[int, int, int], Events] = OrderedDict()
        self._tick_cache: dict[tuple[Any, ...], bytes] = {}
        self._tick = -1
        self._routes: dict[str, Callable[[Ask], Answer]] = {
            "2.0 vehicles": self._vehicles,
            "2.0 vehicles/status": self._status,
            "2.0 trips": self._trips,
            "2.0 events/historical": self._events_hour,
            "2.0 events/recent": self._events_recent,
            "2.0 telemetry": self._telemetry,
            "2.0 reports": self._report,
            "1.2 vehicles": self._status,
            # 1.2's vehicles is its status list; asked for at the 2.0 path, liberally the same.
            "1.2 vehicles/status": self._status,
            "1.2 trips": self._trips,
            "1.2 status_changes": self._events_hour,
            "1.2 events/historical": self._events_hour,
            "1.2 events": self._events_recent,
            "1.2 events/recent": self._events_recent,
        }

    # -- HTTP entry points ---------------------------------------------------------------------

    async def handle(self, request: Request, base: str) -> Response:
        """GET ``/{company}/mds/{path}``."""
        slug, path = request.path_params["company"], request.path_params["path"].strip("/")
        try:
            index = self.simulation.scenario.company_index(slug)
        except KeyError:
            return _send(MdsError(404, "not_found", f"no company {slug!r}").answer)
        fault = self._fault(slug, path)
        if fault.mode is FaultMode.slow:
            await asyncio.sleep(fault.delay_s)
        if fault.mode is FaultMode.down:
            return Response(b"Service Unavailable\n", 503, {"Retry-After": str(RETRY_AFTER_S)})
        if fault.mode is FaultMode.html_error:
            return Response(faults.HTML_ERROR_PAGE, 200, media_type="text/html")
        try:
            answer = self._answer(request, index, slug, path, base, fault)
        except MdsError as error:
            answer = error.answer
        if fault.mode is FaultMode.malformed_json and answer.status == 200:
            answer.body = faults.truncate(answer.body)
        headers = dict(answer.headers)
        body = maybe_gzip(request, answer.body, headers)
        return Response(body, answer.status, headers, media_type=answer.media_type)

    def _fault(self, slug: str, path: str) -> Fault:
        """The company's fault if it applies to MDS (``feeds``: ``mds`` or ``mds/<endpoint>``)."""
        fault = self._faults.get(slug, Fault())
        endpoint = "mds/" + re.sub(r"/[0-9a-f-]{36}$", "", path)
        if fault.mode is FaultMode.ok or (
            fault.feeds is not None and not {"mds", endpoint} & fault.feeds
        ):
            return Fault()
        return fault

    def _answer(
        self, request: Request, index: int, slug: str, path: str, base: str, fault: Fault
    ) -> Answer:
        if not self.auth.allows(slug, request.headers.get("authorization")):
            raise MdsError(
                401,
                "unauthorized",
                "a valid bearer token is required: a token of this company, or one from "
                f"{base}/{slug}/oauth/token (OAuth 2 client credentials)",
                ["Authorization"],
                {"WWW-Authenticate": f'Bearer realm="{slug}", error="invalid_token"'},
            )
        version = negotiate(request.headers.get("accept"), csv=path.startswith("reports"))
        bad = fault.record if fault.mode is FaultMode.bad_record else None
        ask = Ask(index, slug, version, path, dict(request.query_params), base, bad)
        route, device = self._resolve(version, path)
        if route is None:
            raise MdsError(404, "not_found", f"MDS {version} has no endpoint /{path}", [path])
        with gc_paused():
            return route(ask) if device is None else self._one(ask, route, device)

    def _resolve(
        self, version: str, path: str
    ) -> tuple[Callable[[Ask], Answer] | None, str | None]:
        route = self._routes.get(f"{version} {path}")
        if route is not None:
            return route, None
        head, _, device = path.rpartition("/")
        if version == "2.0" and head in ("vehicles", "vehicles/status") and device:
            return self._routes[f"2.0 {head}"], device
        if version == "2.0" and head == "reports" and device.endswith(".csv"):
            return self._report, None
        return None, None

    async def token(self, request: Request) -> Response:
        """POST ``/{company}/oauth/token``: OAuth 2 client credentials grant (RFC 6749 §4.4)."""
        slug = request.path_params["company"]
        try:
            index = self.simulation.scenario.company_index(slug)
        except KeyError:
            return _oauth_error(404, "invalid_request", f"no company {slug!r}")
        form = await _form(request)
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials")
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None and "client_id" in form:
            credentials = (form["client_id"], form.get("client_secret", ""))
        if credentials is None or not self.auth.client_ok(slug, *credentials):
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        token = self.auth.issue(slug, credentials[0], self.data.provider_id(index))
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return Response(orjson.dumps(token), 200, headers, media_type=JSON)

    # -- vehicles ------------------------------------------------------------------------------

    def _ok(self, ask: Ask, payload: dict[str, Any], name: str, records: list[Record]) -> Answer:
        """A 200 answer: the version, then ``records`` under ``name`` (1.2: inside ``data``)."""
        if ask.bad is not None:
            records = spoil(records, ask.bad)
        body: dict[str, Any] = {"version": BODY_VERSION[ask.version]}
        if ask.version == "1.2":
            body["data"] = {name: records}
        else:
            body[name] = records
        body |= payload
        return Answer(200, orjson.dumps(body), MEDIA[ask.version])

    def _page(self, ask: Ask, vehicles: IntArray) -> tuple[IntArray, int | None]:
        """A page of ``vehicles`` (in vehicle order) after the ``cursor`` parameter."""
        after = _cursor(ask.params, "cursor")
        first = int(np.searchsorted(vehicles, after, side="right"))
        size = self.config.mds_page_size
        page = vehicles[first : first + size]
        following = int(page[-1]) if first + size < len(vehicles) else None
        return page, following

    def _tick_cached(self, key: tuple[Any, ...], build: Callable[[], Answer], ask: Ask) -> Answer:
        """``build()``, cached until the next tick (not while a bad record is injected)."""
        if ask.bad is not None:
            return build()
        if self._tick != self.simulation.tick:
            self._tick, self._tick_cache = self.simulation.tick, {}
        body = self._tick_cache.get(key)
        if body is None:
            answer = build()
            self._tick_cache[key] = answer.body
            return answer
        return Answer(200, body, MEDIA[ask.version])

    def _vehicles(self, ask: Ask) -> Answer:
        """2.0 ``vehicles``: every vehicle of the company (its identity), paged."""
        page, following = self._page(ask, self.data.vehicles_of(ask.index))
        payload = {
            "links": ask.links("cursor", following),
            "last_updated": round(self.simulation.start.timestamp() * 1000),
            "ttl": STATIC_TTL_MS,
        }
        return self._ok(ask, payload, "vehicles", self.data.vehicles(ask.index, page))

    def _status(self, ask: Ask) -> Answer:
        """2.0 ``vehicles/status``, 1.2 ``vehicles``: each listed vehicle's state, paged."""

        def build() -> Answer:
            page, following = self._page(ask, self.data.listed(ask.index))
            payload = {
                "links": ask.links("cursor", following),
                "last_updated": round(self.simulation.timestamp * 1000),
                "ttl": self._status_ttl_ms,
            }
            name = "vehicles" if ask.version == "1.2" else "vehicles_status"
            return self._ok(ask, payload, name, self.data.status(ask.index, page, ask.version))

        key = (ask.index, ask.version, ask.path, ask.params.get("cursor"))
        return self._tick_cached(key, build, ask)

    def _one(self, ask: Ask, route: Callable[[Ask], Answer], device_id: str) -> Answer:
        """2.0 ``vehicles/{device_id}`` and ``vehicles/status/{device_id}``."""
        vehicle = self.data.vehicle_of(ask.index, device_id)
        if vehicle is None:
            raise MdsError(404, "not_found", f"no vehicle with device_id {device_id}", [device_id])
        one = np.array([vehicle], dtype=np.int64)
        if route == self._vehicles:
            records = self.data.vehicles(ask.index, one)
            name, updated, ttl = "vehicles", self.simulation.start.timestamp(), STATIC_TTL_MS
        else:
            records = self.data.status(ask.index, one)
            name, updated = "vehicles_status", self.simulation.timestamp
            ttl = self._status_ttl_ms
        payload = {"last_updated": round(updated * 1000), "ttl": ttl}
        return self._ok(ask, payload, name, records)

    # -- hours ---------------------------------------------------------------------------------

    def _ready_hour(self, ask: Ask, name: str) -> int:
        """The hour asked for in ``name``, or ``MdsError`` 404/202 when it cannot be served."""
        hour = parse_hour(ask.params, name)
        sim = self.simulation
        now, end = sim.timestamp, (hour + 1) * HOUR_S
        if end > now:
            raise MdsError(404, "not_found", "this hour is not over yet", [name])
        if end <= sim.history.start:
            raise MdsError(404, "not_found", "the simulated company was not operating then", [name])
        if hour < sim.history.oldest_hour(now):
            kept = sim.history.retention_s / 3600
            raise MdsError(404, "not_found", f"the simulator keeps the last {kept:g} hours", [name])
        ready = end + self.config.mds_ready_after_s
        if now < ready:
            wait = max(1, math.ceil(self._wall_seconds(ready - now)))
            raise MdsError(
                202,
                "not_ready",
                "this hour's data is being processed; ask again later",
                [name],
                {"Retry-After": str(wait)},
            )
        return hour

    def _hour_cached(self, key: tuple[Any, ...], build: Callable[[], Answer], ask: Ask) -> Answer:
        """A complete hour's answer, which never changes: kept for the latest hours asked."""
        if ask.bad is not None:
            return build()
        body = self._hours.get(key)
        if body is not None:
            self._hours.move_to_end(key)
            return Answer(200, body, MEDIA[ask.version])
        answer = build()
        self._hours[key] = answer.body
        self._hour_bytes += len(answer.body)
        while len(self._hours) > CACHED_HOURS or self._hour_bytes > CACHED_HOUR_BYTES:
            _, dropped = self._hours.popitem(last=False)
            self._hour_bytes -= len(dropped)
        return answer

    def _trips(self, ask: Ask) -> Answer:
        """Trips that ended in the hour ``end_time`` (not paged)."""
        hour = self._ready_hour(ask, "end_time")

        def build() -> Answer:
            ended = self.simulation.history.trips_ended(hour * HOUR_S, (hour + 1) * HOUR_S)
            trips = self.data.company_trips(ask.index, ended)
            return self._ok(ask, {}, "trips", self.data.trips(ask.index, trips, ask.version))

        return self._hour_cached((ask.index, ask.version, "trips", hour), build, ask)

    def _events_hour(self, ask: Ask) -> Answer:
        """Events of the hour ``event_time`` (2.0 events, 1.2 status_changes; not paged)."""
        hour = self._ready_hour(ask, "event_time")

        def build() -> Answer:
            found = self.simulation.history.events_between(hour * HOUR_S, (hour + 1) * HOUR_S)
            events = self.data.company_events(ask.index, found)
            name = "status_changes" if ask.version == "1.2" else "events"
            return self._ok(ask, {}, name, self.data.events(ask.index, events, ask.version))

        return self._hour_cached((ask.index, ask.version, "events", hour), build, ask)

    def _telemetry(self, ask: Ask) -> Answer:
        """Position reports of the hour ``telemetry_time``, paged by ``offset``."""
        hour = self._ready_hour(ask, "telemetry_time")
        key = (ask.index, hour)
        points = self._points.get(key)
        if points is None:
            points = self.data.telemetry_points(ask.index, hour * HOUR_S, (hour + 1) * HOUR_S)
            self._points[key] = points
            if len(self._points) > CACHED_POINTS:
                self._points.popitem(last=False)
        offset = max(_cursor(ask.params, "offset"), 0)
        size = self.config.mds_page_size
        page = points.take(np.arange(offset, min(offset + size, len(points))))
        following = offset + size if offset + size < len(points) else None
        payload = {"links": ask.links("offset", following)}
        return self._ok(ask, payload, "telemetry", self.data.telemetry(ask.index, page))

    def _events_recent(self, ask: Ask) -> Answer:
        """Events in ``[start_time, end_time)`` (ms), at most two weeks old, paged by ``offset``."""
        sim = self.simulation
        start_ms, end_ms = _int_param(ask.params, "start_time"), _int_param(ask.params, "end_time")
        now = sim.timestamp
        if start_ms / 1000 < now - RECENT_MAX_S or end_ms / 1000 < now - RECENT_MAX_S:
            raise MdsError(400, "bad_param", "the range starts over two weeks ago", ["start_time"])
        kept_from = sim.history.oldest_hour(now) * HOUR_S
        if start_ms / 1000 < kept_from and kept_from > sim.history.start:
            kept = sim.history.retention_s / 3600
            message = f"the simulator keeps events of the last {kept:g} hours only"
            raise MdsError(400, "bad_param", message, ["start_time"])
        # Events after the current tick do not exist yet: the range ends now at the latest.
        end_ms = min(end_ms, math.floor(now * 1000))
        key = (ask.index, start_ms, end_ms)
        events = self._recent.get(key)
        if events is None:
            found = sim.history.events_between(start_ms / 1000, end_ms / 1000)
            events = self.data.company_events(ask.index, found)
            self._recent[key] = events
            if len(self._recent) > 4:
                self._recent.popitem(last=False)
        offset = max(_cursor(ask.params, "offset"), 0)
        size = self.config.mds_page_size
        page = events.take(np.arange(offset, min(offset + size, len(events))))
        following = offset + size if offset + size < len(events) else None
        name = "status_changes" if ask.version == "1.2" else "events"
        records = self.data.events(ask.index, page, ask.version)
        return self._ok(ask, {"links": ask.links("offset", following)}, name, records)

    # -- reports -------------------------------------------------------------------------------

    def _report(self, ask: Ask) -> Answer:
        """The month's report as CSV (``reports/YYYY-MM.csv`` or ``reports?start_time=YYYY-MM``).

        The current month is served too, counted to date: the simulator rarely runs for a whole
        month, and a demo should show something.
        """
        name = ask.path.removeprefix("reports").strip("/").removesuffix(".csv")
        month = name or ask.params.get("start_time", "")
        if not month:
            raise MdsError(400, "missing_param", "start_time is required (YYYY-MM)", ["start_time"])
        match = MONTH.fullmatch(month)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise MdsError(400, "bad_param", "the month must be YYYY-MM", ["start_time"])
        report = self.data.report(ask.index, month)
        if report is None:
            raise MdsError(404, "not_found", f"no trips in {month}", ["start_time"])
        return Answer(200, report.encode(), CSV_MEDIA)


async def _form(request: Request) -> dict[str, str]:
    """The token request's parameters: a form (as RFC 6749 says) or, liberally, JSON."""
    body = await request.body()
    kind, _ = media_params(request.headers.get("content-type", ""))
    if kind == JSON:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(body.decode(errors="replace")))


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="tartip-simulator"'
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(body, status, headers, media_type=JSON)


def _send(answer: Answer) -> Response:
    return Response(answer.body, answer.status, answer.headers, media_type=answer.media_type)
