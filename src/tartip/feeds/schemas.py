"""API schemas of feeds and their pulls."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tartip.core.schemas import ProblemDetail, TartipModel
from tartip.feeds.enums import FeedHealth, FeedProtocol, PullOutcome


class FeedCreate(TartipModel):
    """A feed to register: the URL of a company's ``gbfs.json`` or of one GBFS file."""

    company_id: int
    url: str = Field(min_length=8, max_length=2000)
    language: str | None = Field(default=None, max_length=16)


class FeedUpdate(TartipModel):
    """Changes to a feed; every field is optional."""

    enabled: bool | None = None
    language: str | None = Field(default=None, max_length=16)


class FeedRead(TartipModel):
    """A feed with its health, as the API shows it."""

    id: int
    company_id: int
    protocol: FeedProtocol
    url: str
    language: str | None
    enabled: bool
    version: str | None
    feed_urls: dict[str, str]
    health: FeedHealth
    consecutive_failures: int
    last_error: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    data_updated_at: datetime | None
    next_poll_at: datetime | None
    vehicle_count: int | None
    created_at: datetime


class FeedPullRead(TartipModel):
    """One fetch of one file of a feed."""

    id: int
    feed_id: int
    file: str
    url: str
    started_at: datetime
    outcome: PullOutcome
    http_status: int | None
    latency_ms: float | None
    bytes: int | None
    records: int | None
    records_rejected: int
    schema_problems: int
    error: str | None
    problems: list[ProblemDetail]
