"""Running the Alembic migrations from code (CLI, start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

INI = Path(__file__).resolve().parent / "migrations" / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration for ``database_url``."""
    config = Config(str(INI))
    config.set_main_option("script_location", str(INI.parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the database schema down to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str, *, autogenerate: bool = True) -> None:
    """Draft a new migration from the models (review it before committing)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=autogenerate)
