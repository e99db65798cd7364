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

    # MDS Provider pulls (trips domain): how often, how much per pull, and when an hour that
    # was not ready (202, or 404 within the grace after the hour) is asked again.
    mds_pull_interval_s: float = 60.0
    mds_max_hours_per_pull: int = 6
    mds_max_pages: int = 1000
    mds_retry_s: float = 300.0  # doubled per attempt, up to mds_retry_max_s
    mds_retry_max_s: float = 6 * 3600
    mds_not_found_grace_s: float = 3 * 3600
    mds_give_up_after_s: float = 7 * 24 * 3600
    # Records of each pulled MDS page checked against the official schemas (all are read).
    mds_schema_sample_records: int = 50
    # Trips are personal data: exact points and routes are blurred after this many days;
    # telemetry points are deleted after theirs (docs/decisions/0071-trip-retention.md).
    trip_retention_days: int = 90
    telemetry_retention_days: int = 7

    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )

    # The embedded default runs background jobs inside the web server; production runs
    # `tartip worker` as its own process and sets this to false.
    run_jobs_in_process: bool = True
    # The demo's simulated scouts walk their routes and finish tasks (never on in production).
    simulate_scouts: bool = False

    # The address people reach Tartip at: links in e-mails to the public status page.
    public_base_url: str = "http://127.0.0.1:8000"

    # Outbound e-mail (the notify outbox). No host: messages stay queued, visible, until one is set.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from_address: str = "tartip@localhost"
    smtp_timeout_s: float = 15.0
    # A failed send is tried again after email_backoff_s, doubling each time, up to this many tries.
    email_max_attempts: int = 8
    email_backoff_s: float = 30.0
    # Sent messages (and the addresses in them) are deleted from the outbox after this many days.
    email_retention_days: int = 30

    # Complaints: matching a place and time to the vehicles that were there.
    complaint_match_radius_m: float = 40.0
    complaint_match_window_s: float = 20 * 60
    # A complaint about the last this-many seconds is matched against the live vehicle table.
    complaint_live_s: float = 30 * 60
    # How far back the fleet history is read for a vehicle's position at the complaint's time.
    complaint_history_lookback_s: float = 2 * 24 * 3600
    # Contact details are removed this many days after a complaint is closed.
    complaint_contact_retention_days: int = 90
    # The public form: at most this many complaints per address in the window.
    complaint_rate_limit: int = 5
    complaint_rate_window_s: float = 600.0
    # Field hours in city time: due times of place-fixable complaints count only these hours.
    complaint_service_start: str = "07:00"
    complaint_service_end: str = "23:00"

    # Open data (docs/open-data.md): the licence stated on every dataset, how long an answer is
    # cached, and how many requests one address may make in the window.
    open_data_licence: str = "CC BY 4.0"
    open_data_licence_url: str = "https://creativecommons.org/licenses/by/4.0/"
    open_data_attribution: str = "Tartip open data"
    open_data_cache_s: float = 300.0
    open_data_rate_limit: int = 120
    open_data_rate_window_s: float = 60.0

    # Damage handover webhooks: a receiver gets this long to answer; a failed delivery is tried
    # again after webhook_backoff_s, doubling up to webhook_backoff_max_s, this many times in all.
    webhook_timeout_s: float = 5.0
    webhook_backoff_s: float = 30.0
    webhook_backoff_max_s: float = 6 * 3600.0
    webhook_max_attempts: int = 15
    # A delivery being sent is leased for this long: a worker that dies mid-send leaves it to the
    # next one after the lease.
    webhook_lease_s: float = 120.0

    data_dir: Path = Field(default=Path("var"))
    log_level: str = "INFO"

    # Uploaded photos. Stored under media_dir (default: data_dir, where they always were).
    media_dir: Path | None = None
    # A whole upload request (its photos and form fields): refused with 413 before it is read.
    upload_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # Pixels are checked from the image header, before decoding (decompression bombs).
    photo_max_pixels: int = Field(default=40_000_000, gt=0)
    photo_long_side: int = Field(default=2048, ge=320)
    photo_thumb_side: int = Field(default=320, ge=32, le=1024)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "dev" and self.secret_key == DEV_SECRET and self.env != "test":
            raise ValueError("TARTIP_SECRET_KEY must be set to a real secret outside env=dev")
        return self

    @property
    def media_root(self) -> Path:
        """Where uploaded photos are stored."""
        return self.media_dir if self.media_dir is not None else self.data_dir

    @property
    def media_roots(self) -> tuple[Path, ...]:
        """Where stored photos are looked for: the media directory, then the data directory
        (photos stored before ``media_dir`` was set stay readable)."""
        if self.media_dir is None or self.media_dir == self.data_dir:
            return (self.data_dir,)
        return (self.media_dir, self.data_dir)

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is the embedded SQLite database."""
        return self.database_url.startswith("sqlite")
