"""``tartip feeds``: check and register sharing companies' feeds."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.errors import TartipError
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory, unit_of_work
from tartip.feeds import checker
from tartip.feeds import service as feeds_service
from tartip.feeds.http import make_client
from tartip.settings import Settings

app = typer.Typer(help="Sharing companies' feeds.", no_args_is_help=True)

Language = Annotated[
    str | None, typer.Option(help="Language of a 1.x/2.x feed list (default: ru, else en).")
]


@app.command()
def check(url: str, language: Language = None) -> None:
    """Check the GBFS feed at URL (gbfs.json or one file): every file, record and schema rule.

    Exit status: 0 valid, 1 invalid (problems listed), 3 unreachable or not GBFS.
    """
    settings = Settings()
    # The verdict lists every failure itself; the adapter's log lines would only repeat them.
    logging.getLogger("tartip.feeds").setLevel(logging.ERROR)
    with make_client(settings) as client:
        result = checker.check_feed(client, settings, url=url, language=language, now=utcnow())
    for line in result.lines():
        typer.echo(line)
    raise typer.Exit(result.exit_code)


@app.command()
def add(company_slug: str, url: str, language: Language = None) -> None:
    """Register URL as the feed of COMPANY_SLUG in the default city (audited as "cli")."""
    settings = Settings()
    migrate.upgrade(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url), writer=True)
    try:
        with unit_of_work(factory) as db:
            city = cities_service.seed_almaty(db)
            if city.slug != settings.default_city:
                city = cities_service.get_by_slug_or_raise(db, slug=settings.default_city)
            company = cities_service.get_company(db, city_id=city.id, slug=company_slug)
            if company is None:
                known = ", ".join(
                    c.slug for c in cities_service.list_companies(db, city_id=city.id)
                )
                raise typer.BadParameter(f"no company {company_slug!r} (known: {known})")
            feed = feeds_service.register(
                db, scope=None, company_id=company.id, url=url, language=language
            )
            typer.echo(f"registered feed {feed.id} for {company.name}: {feed.url}")
    except TartipError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
