"""Zones and their published versions (the history of which rules were in force when)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import Geometry, UTCDateTime
from tartip.zones.enums import ZoneKind, ZonePhase


class ZoneContent:
    """What a zone says: its shape and its rule; shared by the zone and each published version."""

    kind: Mapped[ZoneKind] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64), default=None)
    # As drawn: a Polygon/MultiPolygon, or a Point with ``radius_m`` for a small parking place.
    geometry: Mapped[BaseGeometry] = mapped_column(Geometry("Geometry"))
    radius_m: Mapped[float | None] = mapped_column(default=None)
    # The area covered, always a MultiPolygon (a point's disc): what detection and QGIS read.
    area: Mapped[BaseGeometry] = mapped_column(Geometry("MultiPolygon"))
    capacity: Mapped[int | None] = mapped_column(default=None)
    speed_limit_kph: Mapped[int | None] = mapped_column(default=None)
    target_load: Mapped[int | None] = mapped_column(default=None)
    # Inside this zone vehicles may be left only in parking places.
    parking_required: Mapped[bool] = mapped_column(default=False)
    # Company ids the rule binds (empty: every company) and fleet caps {company id: vehicles}.
    company_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    fleet_caps: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Weekly hours in city time (``rules.Schedule.to_json``); None means always.
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The validity period: the rule applies from ``active_from`` until before ``active_until``.
    active_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    active_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Zone(ZoneContent, CityScoped, Timestamped, Base):
    """A zone of a city: the working copy a supervisor edits, and its life-cycle phase."""

    __tablename__ = "zone"
    __table_args__ = (Index("ix_zone_city_phase", "city_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    phase: Mapped[ZonePhase] = mapped_column(String(16), default=ZonePhase.draft)
    description: Mapped[str] = mapped_column(Text, default="")
    # Published versions so far; the newest is ``version`` (0 while never published).
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ZoneVersion(ZoneContent, CityScoped, Base):
    """One published version of a zone and when it was in force; immutable but for its end."""

    __tablename__ = "zone_version"
    __table_args__ = (
        UniqueConstraint("zone_id", "version"),
        Index("ix_zone_version_city_in_force", "city_id", "in_force_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    # The MDS geography_id of this version (MDS geographies are immutable: one per version).
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    in_force_from: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, when a newer version replaces this one or the zone is retired.
    in_force_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    published_by: Mapped[str] = mapped_column(String(200))
