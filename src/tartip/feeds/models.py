"""Feeds registered for sharing companies, every fetch of them, and the companies' own geofences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import Geometry, UTCDateTime
from tartip.feeds.enums import FeedAuth, FeedHealth, FeedProtocol, PullOutcome


class Feed(CityScoped, Timestamped, Base):
    """A company's feed: a GBFS auto-discovery URL (``gbfs.json``) or a single feed file URL, or
    the base URL of an MDS Provider API (``protocol`` ``mds_provider``, pulled by the trips job).

    The MDS credentials (``auth_*``) are secrets: no API schema, page or audit entry shows them.
    """

    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    protocol: Mapped[FeedProtocol] = mapped_column(String(16), default=FeedProtocol.gbfs)
    url: Mapped[str] = mapped_column(String(2000))
    # GBFS 2.x lists feeds per language; this one is preferred when there are several.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    # What discovery found: GBFS version and {feed name: url}. MDS: the version asked for
    # ("2.0", "1.2"), set when the feed is registered.
    version: Mapped[str | None] = mapped_column(String(16), default=None)
    feed_urls: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Per file URL: ETag, Last-Modified, last_updated and ttl seen, for conditional requests.
    file_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    health: Mapped[FeedHealth] = mapped_column(String(16), default=FeedHealth.unknown)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The vehicle document's own ``last_updated`` (the company's clock).
    data_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    vehicle_count: Mapped[int | None] = mapped_column(default=None)
    # MDS Provider only. Auth: a bearer token (``auth_secret``), or OAuth 2.0 client credentials
    # (``auth_client_id`` + ``auth_secret`` exchanged at ``auth_token_url`` for ``auth_scope``).
    auth: Mapped[FeedAuth] = mapped_column(String(16), default=FeedAuth.none)
    auth_secret: Mapped[str | None] = mapped_column(Text, default=None)
    auth_client_id: Mapped[str | None] = mapped_column(String(255), default=None)
    auth_token_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    auth_scope: Mapped[str | None] = mapped_column(String(255), default=None)
    # MDS Provider only: which endpoints to pull, the first hour wanted, path overrides
    # (see ``tartip.feeds.mds_provider.MdsConfig``).
    mds_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FeedPull(CityScoped, Base):
    """One fetch of one file of a feed: the access log that feed health is computed from."""

    __tablename__ = "feed_pull"
    __table_args__ = (Index("ix_feed_pull_feed_started", "feed_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[PullOutcome] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(default=None)
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    bytes: Mapped[int | None] = mapped_column(default=None)
    records: Mapped[int | None] = mapped_column(default=None)
    records_rejected: Mapped[int] = mapped_column(default=0)
    schema_problems: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The first problems found (schema and rejected records), each {"where", "message"}.
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class FeedPullSlot(CityScoped, Base):
    """A feed's pulls of one 5-minute slot, summed: what a month's scorecard reads.

    Written with each pull (``tartip.feeds.pull_slots``) and kept when the pulls themselves are
    deleted after a week, so a month's uptime, data age and fleet on the street stay countable.
    """

    __tablename__ = "feed_pull_slot"
    __table_args__ = (UniqueConstraint("feed_id", "slot_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    # A multiple of SLOT_S in POSIX time (local midnights of whole-hour zones fall on one).
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())
    pulls: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Pulls of a vehicles file, and the latest of them that brought new content.
    vehicle_pulls: Mapped[int] = mapped_column(default=0)
    last_new_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The vehicles that latest pull counted (GBFS snapshots only; MDS pulls count none).
    last_new_vehicles: Mapped[int | None] = mapped_column(default=None)
    # The GBFS snapshots' vehicle counts: how many were counted, their sum and the largest.
    snapshots: Mapped[int] = mapped_column(default=0)
    vehicles_sum: Mapped[int] = mapped_column(default=0)
    vehicles_peak: Mapped[int | None] = mapped_column(default=None)


class CompanyGeofence(CityScoped, Base):
    """A zone a company publishes in its own ``geofencing_zones`` (what its app enforces)."""

    __tablename__ = "company_geofence"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry("MultiPolygon"))
    # The GBFS rules as published, normalised to 3.0 names (ride_end_allowed, maximum_speed_kph…).
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
