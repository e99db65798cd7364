"""``tartip simulate``: serve the simulated companies' GBFS feeds until interrupted."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from tartip.core.clock import utcnow
from tartip.simulator.documents import VERSIONS, FeedRenderer
from tartip.simulator.scenarios.almaty import almaty_scenario
from tartip.simulator.server import (
    bind_socket,
    create_simulator_app,
    is_loopback,
    url_host,
    uvicorn_server,
)
from tartip.simulator.simulation import TICK_S, Simulation

log = logging.getLogger(__name__)

app = typer.Typer(add_completion=False, help="Simulated sharing companies serving GBFS feeds.")

# Names of "every interface": feed links then follow the name each client used.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def parse_start(text: str | None, timezone: str) -> datetime:
    """``--start`` as an aware datetime: ISO 8601, naive means city time; None means now."""
    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 date-time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def parse_versions(text: str) -> tuple[str, ...]:
    """``--versions 2.3,3.0`` as a tuple, refusing versions the simulator does not serve."""
    versions = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [v for v in versions if v not in VERSIONS]
    if unknown or not versions:
        raise typer.BadParameter(f"choose among {', '.join(VERSIONS)}")
    return versions


def announce(renderer: FeedRenderer, simulation: Simulation, *, control: bool) -> None:
    """Echo the discovery URL of every feed, so a person or a test can follow them."""
    typer.echo(
        f"Tartip simulator: {simulation.vehicles} simulated scooters in Almaty "
        f"(seed {simulation.seed}), simulated time {simulation.time.isoformat()}"
    )
    for slug, urls in renderer.discovery_urls().items():
        for version, url in urls.items():
            typer.echo(f"  {slug:<10} GBFS {version}  {url}")
    if "3.0" in renderer.versions:
        typer.echo(f"  {'manifest':<10} GBFS 3.0  {renderer.url('gbfs/3.0/manifest.json')}")
    if control:
        typer.echo(f"  control    POST {renderer.url('_control/<company>')}")


@app.command()
def simulate(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8090,
    seed: Annotated[int, typer.Option(help="Seed: the same seed and start repeat exactly.")] = 42,
    vehicles: Annotated[
        int, typer.Option(min=3, max=30_000, help="Scooters over the three companies.")
    ] = 3000,
    speed: Annotated[
        float, typer.Option(min=0.0, help="Simulated seconds per wall second; 0 stops time.")
    ] = 1.0,
    start: Annotated[
        str | None, typer.Option(help="Simulated start, ISO 8601 (naive = Almaty time).")
    ] = None,
    versions: Annotated[str, typer.Option(help="GBFS versions to serve.")] = ",".join(VERSIONS),
    control: Annotated[
        bool | None,
        typer.Option(
            "--control/--no-control",
            help="Fault-injection endpoint /_control. Default: on when listening on loopback.",
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Public base URL of feed links; default from host/port.")
    ] = None,
    tick_seconds: Annotated[
        float, typer.Option(min=1.0, help="Simulated seconds per simulation tick.")
    ] = TICK_S,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "info",
) -> None:
    """Serve GBFS 2.3 and 3.0 feeds of simulated Jet, Yandex Go and Whoosh fleets in Almaty."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    scenario = almaty_scenario()
    chosen_versions = parse_versions(versions)
    simulation = Simulation(
        scenario,
        seed=seed,
        vehicles=vehicles,
        start=parse_start(start, scenario.timezone),
        tick_s=tick_seconds,
    )
    with_control = is_loopback(host) if control is None else control
    sock = bind_socket(host, port)
    shown_host = "127.0.0.1" if host in WILDCARD_HOSTS else url_host(host)
    shown_base = base_url or f"http://{shown_host}:{sock.getsockname()[1]}"
    links_base = base_url or (None if host in WILDCARD_HOSTS else shown_base)
    asgi = create_simulator_app(
        simulation, links_base, speed=speed, control=with_control, versions=chosen_versions
    )
    announce(
        FeedRenderer(simulation, base_url=shown_base, versions=chosen_versions),
        simulation,
        control=with_control,
    )
    uvicorn_server(asgi, log_level=log_level.lower()).run(sockets=[sock])
