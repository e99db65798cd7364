"""The simulated companies' servers over real HTTP (Starlette under uvicorn).

The server maps wall-clock time to simulated time (``SimClock``), advances the simulation in
a background task, renders each GBFS document at most once per tick and serves the cached bytes
with ``ETag``/``Last-Modified`` (answering conditional requests with 304) and gzip on request.
It also serves each company's MDS Provider API (``provider``), receives Tartip's webhooks
(``webhooks``) and, in a second background task, pushes to Tartip's MDS Agency API (``agency``).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import ipaddress
import logging
import math
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tartip import __version__
from tartip.core.clock import from_timestamp, utcnow
from tartip.core.errors import InvalidInput
from tartip.simulator import faults
from tartip.simulator.agency import AgencyPusher
from tartip.simulator.config import SimulatorConfig
from tartip.simulator.documents import STATIC_TTL_S, VERSIONS, FeedRenderer
from tartip.simulator.faults import Fault, FaultMode
from tartip.simulator.fleet import VehicleState
from tartip.simulator.httputil import GZIP_MIN_BYTES, accepts_gzip
from tartip.simulator.provider import MdsProvider
from tartip.simulator.simulation import Simulation
from tartip.simulator.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

JSON = "application/json"
MAX_TICKS_PER_STEP = 200
MAX_RENDERERS = 4
RETRY_AFTER_S = 60
USER_AGENT = f"tartip-simulator/{__version__}"


@dataclass(frozen=True)
class SimClock:
    """Maps wall-clock time to simulated time: sim = sim_start + (wall − wall_start) × speed."""

    sim_start: float
    wall_start: float
    speed: float

    def simulated(self, wall: float) -> float:
        """Simulated POSIX time at wall-clock POSIX time ``wall``."""
        return self.sim_start + (wall - self.wall_start) * self.speed

    def wall(self, simulated: float) -> float:
        """Wall-clock POSIX time at which the simulation reaches ``simulated`` (speed > 0)."""
        return self.wall_start + (simulated - self.sim_start) / self.speed


@dataclass
class Cached:
    """One rendered document: its bytes, validators and (on demand) gzip form."""

    body: bytes
    etag: str
    last_modified: int
    generation: tuple[int, str]
    gzipped: bytes | None = field(default=None, repr=False)

    @property
    def gzip_etag(self) -> str:
        """The ETag of the gzip form: a strong ETag names exact bytes."""
        return self.etag[:-1] + '-gzip"'

    def gzip_body(self) -> bytes:
        """The body gzipped once (level 1: a 10 MB feed costs ~25 ms, and shrinks ~10×)."""
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.body, compresslevel=1, mtime=0)
        return self.gzipped


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _not_modified(request: Request, cached: Cached) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since.

    Either encoding's tag matches: both stand for the same document, so a client that cached
    it in one encoding may keep it whichever it asks for next.
    """
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or cached.etag in tags or cached.gzip_etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and cached.last_modified <= since.timestamp()
    return False


def _problem(status: int, code: str, message: str, problems: list[dict[str, str]]) -> Response:
    body = {"code": code, "message": message, "problems": problems}
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


class SimulatorServer:
    """Serves one simulation's feeds: routing, caching, conditional requests and faults."""

    def __init__(
        self,
        simulation: Simulation,
        *,
        base_url: str | None,
        speed: float = 1.0,
        control: bool = True,
        versions: tuple[str, ...] = VERSIONS,
        config: SimulatorConfig | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.simulation = simulation
        self.clock = SimClock(simulation.timestamp, utcnow().timestamp(), speed)
        self.control = control
        self.versions = versions
        self._base_url = base_url.rstrip("/") if base_url else None
        self.faults = {c.slug: Fault() for c in simulation.scenario.companies}
        self._renderers: OrderedDict[str, FeedRenderer] = OrderedDict()
        self._cache: dict[tuple[str, str], Cached] = {}
        self._behind_warned = False
        # ttl counts wall-clock seconds: at speed 60 a 10 s tick passes 6 times a second.
        tick_wall_s = simulation.tick_s / speed if speed > 0 else float(STATIC_TTL_S)
        self.status_ttl_s = min(STATIC_TTL_S, math.floor(tick_wall_s))
        slugs = [c.slug for c in simulation.scenario.companies]
        self.config = config or SimulatorConfig.for_companies(slugs)
        self.mds = MdsProvider(
            simulation,
            self.config,
            self.faults,
            wall_seconds=self._wall_seconds,
            status_ttl_ms=round(tick_wall_s * 1000),
        )
        self.webhooks = WebhookReceiver(simulation, self.config)
        self.agency = AgencyPusher(simulation, self.config, self.mds.data)

    def _wall_seconds(self, simulated_s: float) -> float:
        """How long ``simulated_s`` simulated seconds take on the wall clock."""
        return simulated_s / self.clock.speed if self.clock.speed > 0 else float(STATIC_TTL_S)

    def renderer(self, base_url: str) -> FeedRenderer:
        """The renderer for ``base_url``; a few are kept (one per name the server is called by)."""
        renderer = self._renderers.get(base_url)
        if renderer is None:
            renderer = FeedRenderer(
                self.simulation,
                base_url=base_url,
                versions=self.versions,
                status_ttl_s=self.status_ttl_s,
            )
            self._renderers[base_url] = renderer
            if len(self._renderers) > MAX_RENDERERS:
                evicted, _ = self._renderers.popitem(last=False)
                self._cache = {k: v for k, v in self._cache.items() if k[0] != evicted}
        else:
            self._renderers.move_to_end(base_url)
        return renderer

    def base_url(self, request: Request) -> str:
        """The configured base URL, else the one the client used."""
        return self._base_url or str(request.base_url).rstrip("/")

    def document(self, renderer: FeedRenderer, base: str, path: str, fault: Fault) -> Cached:
        """The cached document for ``path``, rendered again only when its tick or fault changed."""
        tick = self.simulation.tick if renderer.is_status(path) else -1
        variant = fault.record.value if fault.mode is FaultMode.bad_record else ""
        generation = (tick, variant)
        cached = self._cache.get((base, path))
        if cached is None or cached.generation != generation:
            body = renderer.render(path)
            if variant:
                body = faults.inject_bad_record(body, fault.record)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            cached = Cached(body, etag, renderer.last_updated(path), generation)
            self._cache[(base, path)] = cached
        return cached

    async def feed(self, request: Request) -> Response:
        """GET one GBFS file."""
        path = request.path_params["path"]
        base = self.base_url(request)
        renderer = self.renderer(base)
        try:
            company = renderer.company_of(path)
        except KeyError:
            return _problem(404, "not_found", f"no feed at /{path}", [])
        fault = self.faults[company] if company else Fault()
        if not fault.applies_to(renderer.feed_of(path)):
            fault = Fault()
        if fault.mode is FaultMode.slow:
            await asyncio.sleep(fault.delay_s)
        if fault.mode is FaultMode.down:
            headers = {"Retry-After": str(RETRY_AFTER_S)}
            return Response(b"Service Unavailable\n", 503, headers, media_type="text/plain")
        if fault.mode is FaultMode.html_error:
            return Response(faults.HTML_ERROR_PAGE, 200, media_type="text/html")
        cached = self.document(renderer, base, path, fault)
        if fault.mode is FaultMode.malformed_json:
            return Response(faults.truncate(cached.body), 200, media_type=JSON)
        return self._send(request, cached, ttl=renderer.ttl(path))

    def _send(self, request: Request, cached: Cached, *, ttl: int) -> Response:
        use_gzip = len(cached.body) >= GZIP_MIN_BYTES and accepts_gzip(request)
        headers = {
            "ETag": cached.gzip_etag if use_gzip else cached.etag,
            "Last-Modified": format_datetime(from_timestamp(cached.last_modified), usegmt=True),
            "Cache-Control": f"max-age={ttl}",
            "Vary": "Accept-Encoding",
        }
        if _not_modified(request, cached):
            return Response(status_code=304, headers=headers)
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
            return Response(cached.gzip_body(), 200, headers, media_type=JSON)
        return Response(cached.body, 200, headers, media_type=JSON)

    async def index(self, request: Request) -> Response:
        """GET /: what this server is, and the discovery URL of every feed."""
        renderer = self.renderer(self.base_url(request))
        body = {
            "simulated": True,
            "description": "Tartip simulator: simulated sharing companies in Almaty, "
            "not real vehicles",
            "simulated_time": self.simulation.time.isoformat(),
            "speed": self.clock.speed,
            "vehicles": self.simulation.vehicles,
            "seed": self.simulation.seed,
            "feeds": renderer.discovery_urls(),
            "manifest": renderer.url("gbfs/3.0/manifest.json") if "3.0" in self.versions else None,
            "mds": {
                c.slug: {
                    "provider_id": self.simulation.identities.provider_ids[i],
                    "provider": renderer.url(f"{c.slug}/mds/"),
                    "versions": ["2.0", "1.2"],
                    "oauth_token": renderer.url(f"{c.slug}/oauth/token"),
                    "webhook": renderer.url(f"{c.slug}/tartip/webhook"),
                }
                for i, c in enumerate(self.simulation.scenario.companies)
            },
            "control": renderer.url("_control") if self.control else None,
        }
        return Response(orjson.dumps(body), media_type=JSON)

    async def mds_provider_handle(self, request: Request) -> Response:
        """GET /<company>/mds/<path>: the MDS Provider API, links on the client's base URL."""
        return await self.mds.handle(request, self.base_url(request))

    async def set_config(self, request: Request) -> Response:
        """POST /_control/config: Tartip's URL and tokens, pushing companies, credentials."""
        if not self.control:
            return _problem(404, "not_found", f"no resource at {request.url.path}", [])
        try:
            self.config.apply(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return _problem(422, "invalid_input", "the body is not JSON", [])
        except InvalidInput as exc:
            problems = [{"where": p.where, "message": p.message} for p in exc.problems]
            return _problem(422, exc.code, exc.message, problems)
        log.info("configuration changed: %s", self.config.public())
        return Response(orjson.dumps(self._state()), media_type=JSON)

    async def webhook_log(self, request: Request) -> Response:
        """GET /_control/webhooks: the webhook deliveries received, newest first."""
        if not self.control:
            return _problem(404, "not_found", f"no resource at {request.url.path}", [])
        return Response(orjson.dumps({"deliveries": self.webhooks.as_json()}), media_type=JSON)

    async def vehicle_lookup(self, request: Request) -> Response:
        """GET /_control/vehicles/<company>/<id>: a vehicle by GBFS id, code or device_id.

        What a scout reads on the scooter in front of them: its printed code and device.
        """
        if not self.control:
            return _problem(404, "not_found", f"no resource at {request.url.path}", [])
        slug, name = request.path_params["company"], request.path_params["vehicle_id"]
        try:
            index = self.simulation.scenario.company_index(slug)
        except KeyError:
            return _problem(404, "not_found", f"no company {slug!r}", [])
        vehicle = self.webhooks.find_vehicle(index, {"vehicle_id": name})
        if vehicle is None:
            return _problem(404, "not_found", f"{slug} has no vehicle {name!r}", [])
        sim, ids = self.simulation, self.simulation.identities
        state = int(sim.fleet.state[vehicle])
        body = {
            "company": slug,
            "vehicle_id": ids.codes[vehicle],
            "device_id": ids.device_ids[vehicle],
            "gbfs_vehicle_id": str(sim.fleet.ids[vehicle]),
            "state": VehicleState(state).name,
        }
        return Response(orjson.dumps(body), media_type=JSON)

    async def control_state(self, request: Request) -> Response:
        """GET /_control: the simulated time and the fault set on each company."""
        if not self.control:
            return _problem(404, "not_found", f"no resource at {request.url.path}", [])
        return Response(orjson.dumps(self._state()), media_type=JSON)

    async def set_fault(self, request: Request) -> Response:
        """POST /_control/<company> (or ``all``): set a fault, e.g. ``{"mode": "down"}``."""
        if not self.control:
            return _problem(404, "not_found", f"no resource at {request.url.path}", [])
        target = request.path_params["company"]
        slugs = list(self.faults) if target == "all" else [target]
        if any(slug not in self.faults for slug in slugs):
            return _problem(404, "not_found", f"no company {target!r}", [])
        try:
            fault = faults.parse_fault(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return _problem(422, "invalid_input", "the body is not JSON", [])
        except InvalidInput as exc:
            problems = [{"where": p.where, "message": p.message} for p in exc.problems]
            return _problem(422, exc.code, exc.message, problems)
        for slug in slugs:
            self.faults[slug] = fault
        log.info("fault on %s: %s", ", ".join(slugs), fault.mode.value)
        return Response(orjson.dumps(self._state()), media_type=JSON)

    def _state(self) -> dict[str, object]:
        return {
            "simulated_time": self.simulation.time.isoformat(),
            "tick": self.simulation.tick,
            "speed": self.clock.speed,
            "faults": {slug: fault.as_json() for slug, fault in self.faults.items()},
            "config": self.config.public(),
            "agency": self.agency.as_json(),
            "webhooks_received": len(self.webhooks.deliveries),
        }

    async def keep_time(self) -> None:
        """Advance the simulation with the wall clock, forever (run as a background task)."""
        sim = self.simulation
        while True:
            target = self.clock.simulated(utcnow().timestamp())
            ran = sim.advance_to(target, max_ticks=MAX_TICKS_PER_STEP)
            if ran == MAX_TICKS_PER_STEP:
                if not self._behind_warned:
                    log.warning("the simulation is behind the clock: lower --speed or --vehicles")
                    self._behind_warned = True
                await asyncio.sleep(0)
                continue
            if self.clock.speed == 0:
                await asyncio.sleep(3600)
                continue
            wait = self.clock.wall(sim.next_tick_at) - utcnow().timestamp()
            await asyncio.sleep(min(max(wait, 0.001), 1.0))

    async def keep_links(self) -> None:
        """Push to Tartip's Agency API and answer handovers, forever (a background task)."""
        async with httpx.AsyncClient(timeout=10.0, headers={"User-Agent": USER_AGENT}) as client:
            while True:
                try:
                    self.agency.sync()
                    await self.agency.flush(client)
                    await self.webhooks.flush(client)
                except Exception:
                    # A bug in one round must not stop the pushes for the rest of the run.
                    log.exception("pushing to Tartip failed; trying again")
                await asyncio.sleep(self.config.push_interval_s)

    def app(self) -> Starlette:
        """The ASGI application."""

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            del app
            tasks = [asyncio.create_task(self.keep_time()), asyncio.create_task(self.keep_links())]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with suppress(asyncio.CancelledError):
                        await task

        # The control routes exist even when switched off, so they answer 404, not 405.
        routes = [
            Route("/", self.index, methods=["GET"]),
            Route("/_control", self.control_state, methods=["GET"]),
            Route("/_control/config", self.set_config, methods=["POST"]),
            Route("/_control/webhooks", self.webhook_log, methods=["GET"]),
            Route(
                "/_control/vehicles/{company}/{vehicle_id}", self.vehicle_lookup, methods=["GET"]
            ),
            Route("/_control/{company}", self.set_fault, methods=["POST"]),
            Route("/{company}/mds/{path:path}", self.mds_provider_handle, methods=["GET"]),
            Route("/{company}/oauth/token", self.mds.token, methods=["POST"]),
            Route("/{company}/tartip/webhook", self.webhooks.receive, methods=["POST"]),
            Route("/{path:path}", self.feed, methods=["GET"]),
        ]
        return Starlette(routes=routes, lifespan=lifespan)


def create_simulator_app(
    simulation: Simulation,
    base_url: str | None = None,
    *,
    speed: float = 1.0,
    control: bool = True,
    versions: tuple[str, ...] = VERSIONS,
    config: SimulatorConfig | None = None,
) -> Starlette:
    """An ASGI app serving ``simulation``'s feeds; ``base_url`` None: links follow the request."""
    server = SimulatorServer(
        simulation,
        base_url=base_url,
        speed=speed,
        control=control,
        versions=versions,
        config=config,
    )
    return server.app()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0 picks a free port)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    return sock


def url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


def uvicorn_server(app: Starlette, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` without websockets (feeds are plain HTTP)."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@contextmanager
def serve_in_thread(
    simulation: Simulation,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    control: bool = True,
    versions: tuple[str, ...] = VERSIONS,
    config: SimulatorConfig | None = None,
) -> Iterator[str]:
    """Serve ``simulation`` from a background thread; yields the base URL, stops on exit."""
    sock = bind_socket(host, port)
    base_url = f"http://{url_host(host)}:{sock.getsockname()[1]}"
    app = create_simulator_app(
        simulation, base_url, speed=speed, control=control, versions=versions, config=config
    )
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise RuntimeError("the simulator did not start")
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10.0)
        sock.close()
