"""The ``tartip`` command: serve, worker, simulate, demo, db, users, feeds."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.schemas import UserCreate
from tartip.cities import service as cities_service
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory, unit_of_work
from tartip.feeds.cli import app as feeds_app
from tartip.settings import Settings
from tartip.simulator.cli import simulate

app = typer.Typer(help="Tartip: keep a city's shared scooters in order.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People and their access.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(feeds_app, name="feeds")
app.command(name="simulate")(simulate)


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per feed request drowns what matters; feed health and pulls record them anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return settings


def prepare_database(settings: Settings) -> sessionmaker[Session]:
    """Migrate the schema to head and seed Almaty (safe to repeat); the command's sessions."""
    migrate.upgrade(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url), writer=True)
    with unit_of_work(factory) as db:
        cities_service.seed_almaty(db)
    return factory


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the schema up to REVISION and seed the city."""
    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    if revision == "head":
        prepare_database(settings)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION (``base`` drops everything)."""
    migrate.downgrade(_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: str) -> None:
    """Draft a migration from the models (review it before committing)."""
    migrate.revision(_settings().database_url, message)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    jobs: Annotated[bool | None, typer.Option(help="Run background jobs in this process.")] = None,
) -> None:
    """Serve the web UI and the API (and, in the embedded default, the background jobs)."""
    from tartip.app import create_app

    settings = _settings()
    prepare_database(settings)
    uvicorn.run(create_app(settings, run_jobs=jobs), host=host, port=port, log_level="info")


@app.command()
def worker() -> None:
    """Run the background jobs (feed polling and the rest) in this process."""
    from tartip.worker import Worker

    settings = _settings()
    factory = prepare_database(settings)
    stop = threading.Event()
    try:
        Worker(settings, factory).run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


@users_app.command("add")
def users_add(
    username: str,
    role: Role,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    full_name: str = "",
    company: Annotated[str | None, typer.Option(help="Company slug (company_rep only).")] = None,
) -> None:
    """Create a user in the default city."""
    settings = _settings()
    factory = prepare_database(settings)
    with unit_of_work(factory) as db:
        city = cities_service.get_by_slug_or_raise(db, slug=settings.default_city)
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            full_name=full_name,
            company_slug=company,
        )
        user = auth_service.create(db, scope=None, city=city, data=data)
        typer.echo(f"created {user.username} ({user.role})")


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    simulator_port: int = 8100,
    vehicles: Annotated[int, typer.Option(help="Simulated vehicles, all three companies.")] = 3000,
    seed: int = 2025,
) -> None:
    """The live Almaty demo: simulated fleets served as GBFS, ingested, on the live map."""
    from tartip import demo as demo_setup
    from tartip import demo_history
    from tartip.app import create_app

    settings = _settings().model_copy(update={"simulate_scouts": True, "run_jobs_in_process": True})
    factory = prepare_database(settings)
    simulator = demo_setup.start_simulator(
        host="127.0.0.1", port=simulator_port, vehicles=vehicles, seed=seed
    )
    try:
        with unit_of_work(factory) as db:
            city = cities_service.get_by_slug_or_raise(db, slug=settings.default_city)
            demo_setup.seed_city(db, city, simulator_base=f"http://127.0.0.1:{simulator_port}")
            demo_history.seed_history(db, city)  # last month, once: its report is issued
            agency_tokens = demo_setup.seed_mds(
                db, city, simulator_base=f"http://127.0.0.1:{simulator_port}"
            )
        demo_setup.connect_simulator(
            f"http://127.0.0.1:{simulator_port}",
            tartip_url=f"http://{host}:{port}",
            agency_tokens=agency_tokens,
        )
        _print_demo_banner(f"http://{host}:{port}")
        # uvicorn shuts down on SIGTERM and then raises it again under the handler it found:
        # make that an exit, so the simulator below is stopped too (not left running alone).
        signal.signal(signal.SIGTERM, _exit_on_signal)
        uvicorn.run(create_app(settings, run_jobs=True), host=host, port=port, log_level="warning")
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_demo_banner(url: str) -> None:
    from tartip.demo import DEMO_USERS
    from tartip.ops.demo import DEMO_PASSWORD, DEMO_SCOUTS

    typer.echo("")
    typer.echo(f"Tartip demo: open {url} and sign in as one of these users")
    typer.echo("")
    for u in DEMO_USERS:
        typer.echo(f"  {u.username:<12} {u.password:<20} {u.role.value}")
    names = ", ".join(s.username for s in DEMO_SCOUTS)
    typer.echo(f"  simulated scouts at work ({DEMO_PASSWORD}): {names}")
    typer.echo("")
    typer.echo("Press Ctrl+C to stop.")
