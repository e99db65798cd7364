"""Settings: one typed object, read from ``TARTIP_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside env=dev below


class Settings(BaseSettings):
    """Everything configurable about a Tartip installation."""

    model_config = SettingsConfigDict(env_prefix="TARTIP_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///var/tartip.db"
    secret_key: str = DEV_SECRET
    session_https_only: bool = False
    session_max_age_s: int = 12 * 3600

    default_city: str = "almaty"
    default_locale: Literal["ru", "kk", "en"] = "ru"

    # Outbound HTTP (feed polling): one configured client.
    http_timeout_s: float = 10.0
    http_retries: int = 2
    http_backoff_s: float = 0.5
    poll_min_interval_s: float = 5.0
    poll_max_interval_s: float = 300.0
    feed_down_after_failures: int = 2
    # A vehicle unseen for this long, or whose feed is down, is shown as stale.
    stale_after_s: float = 300.0
    # Rows of the live state are rewritten at most this often when nothing material changed.
    live_refresh_s: float = 300.0
    # Vehicles that left the feed are remembered this long, so a return is recognised.
    departed_retention_s: float = 24 * 3600
    # Schema validation: vehicle records checked per document (all other fields always).
    schema_sample_records: int = 200
    max_feed_bytes: int = 64 * 1024 * 1024

    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )

    # The embedded default runs background jobs inside the web server; production runs
    # `tartip worker` as its own process and sets this to false.
    run_jobs_in_process: bool = True
    # The demo's simulated scouts walk their routes and finish tasks (never on in production).
    simulate_scouts: bool = False

    data_dir: Path = Field(default=Path("var"))
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "dev" and self.secret_key == DEV_SECRET and self.env != "test":
            raise ValueError("TARTIP_SECRET_KEY must be set to a real secret outside env=dev")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is the embedded SQLite database."""
        return self.database_url.startswith("sqlite")
