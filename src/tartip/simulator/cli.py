"""``tartip simulate``: serve the simulated companies' GBFS and MDS until interrupted."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from tartip.core.clock import utcnow
from tartip.simulator.config import (
    DEFAULT_COLLECT_AFTER_S,
    DEFAULT_PAGE_SIZE,
    DEFAULT_READY_AFTER_S,
    CompanyLink,
    SimulatorConfig,
    parse_assignments,
)
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

app = typer.Typer(
    add_completion=False, help="Simulated sharing companies serving GBFS feeds and MDS."
)

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


def _pairs(values: list[str], option: str, slugs: list[str]) -> list[tuple[str, str]]:
    try:
        return parse_assignments(values, option=option, slugs=slugs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _split(values: list[str]) -> list[str]:
    """Option values, each possibly several separated by spaces or commas (from the environment)."""
    return [part for value in values for part in value.replace(",", " ").split() if part]


def build_config(
    slugs: list[str],
    *,
    mds_tokens: list[str],
    oauth_clients: list[str],
    webhook_secrets: list[str],
    tartip_url: str | None,
    tartip_tokens: list[str],
    push: list[str],
) -> SimulatorConfig:
    """The simulator's MDS and Tartip configuration from the command line."""
    config = SimulatorConfig.for_companies(slugs)
    _set_credentials(config.companies, slugs, mds_tokens, oauth_clients, webhook_secrets)
    links: dict[str, CompanyLink] = config.companies
    for slug, token in _pairs(_split(tartip_tokens), "--tartip-token", slugs):
        links[slug].tartip_token = token
    for slug, _ in _pairs([f"{s}=push" for s in _split(push)], "--push", slugs):
        links[slug].push = True
    if tartip_url is not None:
        if not tartip_url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"--tartip-url: {tartip_url!r} is not an http(s) URL")
        config.tartip_url = tartip_url.rstrip("/")
    return config


def _set_credentials(
    links: dict[str, CompanyLink],
    slugs: list[str],
    mds_tokens: list[str],
    oauth_clients: list[str],
    webhook_secrets: list[str],
) -> None:
    """Replace the default credentials of the companies the options name."""
    tokens: dict[str, set[str]] = {}
    for slug, token in _pairs(_split(mds_tokens), "--mds-token", slugs):
        tokens.setdefault(slug, set()).add(token)
    for slug, found in tokens.items():
        links[slug].mds_tokens = found
    clients: dict[str, dict[str, str]] = {}
    for slug, client in _pairs(_split(oauth_clients), "--oauth-client", slugs):
        client_id, sep, secret = client.partition(":")
        if not sep or not client_id or not secret:
            raise typer.BadParameter(f"--oauth-client: {slug}={client!r} is not SLUG=ID:SECRET")
        clients.setdefault(slug, {})[client_id] = secret
    for slug, found_clients in clients.items():
        links[slug].oauth_clients = found_clients
    for slug, secret in _pairs(_split(webhook_secrets), "--webhook-secret", slugs):
        links[slug].webhook_secret = secret


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
    for company in simulation.scenario.companies:
        typer.echo(f"  {company.slug:<10} MDS  2.0,1.2  {renderer.url(f'{company.slug}/mds/')}")
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
    mds_token: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SLUG=TOKEN",
            envvar="TARTIP_SIM_MDS_TOKENS",
            help="MDS Provider bearer token of a company (repeat for more); "
            "default tartip-sim-<slug>-token.",
        ),
    ] = None,
    oauth_client: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SLUG=ID:SECRET",
            envvar="TARTIP_SIM_OAUTH_CLIENTS",
            help="OAuth 2 client of a company's <slug>/oauth/token; "
            "default tartip:tartip-sim-<slug>-secret.",
        ),
    ] = None,
    webhook_secret: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SLUG=SECRET",
            envvar="TARTIP_SIM_WEBHOOK_SECRETS",
            help="Secret that signs Tartip's webhooks to a company; "
            "default tartip-sim-<slug>-webhook.",
        ),
    ] = None,
    collect_after: Annotated[
        float,
        typer.Option(
            min=0.0,
            envvar="TARTIP_SIM_COLLECT_AFTER_S",
            help="Simulated seconds from a damage handover's webhook to the collection.",
        ),
    ] = DEFAULT_COLLECT_AFTER_S,
    tartip_url: Annotated[
        str | None,
        typer.Option(
            envvar="TARTIP_SIM_TARTIP_URL",
            help="Tartip's base URL, for Agency pushes and handover answers.",
        ),
    ] = None,
    tartip_token: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SLUG=TOKEN",
            envvar="TARTIP_SIM_TARTIP_TOKENS",
            help="A company's API token at Tartip (Agency pushes, handover answers).",
        ),
    ] = None,
    push: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SLUG",
            envvar="TARTIP_SIM_PUSH",
            help="A company that pushes MDS to Tartip's Agency API (needs --tartip-url and "
            "its --tartip-token; or set them later with POST /_control/config).",
        ),
    ] = None,
    mds_page_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Records per page of paged MDS lists.")
    ] = DEFAULT_PAGE_SIZE,
    mds_ready_after: Annotated[
        float,
        typer.Option(
            min=0.0, help="Simulated seconds after an hour's end before MDS serves it (202)."
        ),
    ] = DEFAULT_READY_AFTER_S,
    history_hours: Annotated[
        float, typer.Option(min=1.0, max=24 * 14, help="Hours of MDS trips and events kept.")
    ] = 48.0,
) -> None:
    """Serve GBFS 2.3/3.0 and MDS of simulated Jet, Yandex Go and Whoosh fleets in Almaty.

    MDS Provider 2.0 and 1.2 (by Accept header): /<company>/mds/
    Auth: a bearer token, or OAuth 2 client credentials at /<company>/oauth/token.
    Tartip's damage webhooks (HMAC-signed): /<company>/tartip/webhook
    Agency push: --push <company> --tartip-url URL --tartip-token <company>=TOKEN,
    or later: POST /_control/config {"tartip_url": …, "companies": {…}}.
    Details: docs/simulator.md
    """
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    # One line per push request would drown the log; failures are logged by the pusher.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    scenario = almaty_scenario()
    chosen_versions = parse_versions(versions)
    config = build_config(
        [c.slug for c in scenario.companies],
        mds_tokens=mds_token or [],
        oauth_clients=oauth_client or [],
        webhook_secrets=webhook_secret or [],
        tartip_url=tartip_url,
        tartip_tokens=tartip_token or [],
        push=push or [],
    )
    config.collect_after_s = collect_after
    config.mds_page_size = mds_page_size
    config.mds_ready_after_s = mds_ready_after
    simulation = Simulation(
        scenario,
        seed=seed,
        vehicles=vehicles,
        start=parse_start(start, scenario.timezone),
        tick_s=tick_seconds,
        history_s=history_hours * 3600.0,
    )
    with_control = is_loopback(host) if control is None else control
    sock = bind_socket(host, port)
    shown_host = "127.0.0.1" if host in WILDCARD_HOSTS else url_host(host)
    shown_base = base_url or f"http://{shown_host}:{sock.getsockname()[1]}"
    links_base = base_url or (None if host in WILDCARD_HOSTS else shown_base)
    asgi = create_simulator_app(
        simulation,
        links_base,
        speed=speed,
        control=with_control,
        versions=chosen_versions,
        config=config,
    )
    announce(
        FeedRenderer(simulation, base_url=shown_base, versions=chosen_versions),
        simulation,
        control=with_control,
    )
    uvicorn_server(asgi, log_level=log_level.lower()).run(sockets=[sock])
