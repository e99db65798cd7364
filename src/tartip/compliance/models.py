"""Violations, a city's threshold overrides, and the duty-zone load history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.compliance.enums import ViolationKind
from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped
from tartip.db.types import UTCDateTime


class Violation(CityScoped, Base):
    """One condition against the rules, from the first evaluation that saw it until it cleared.

    ``key`` names the condition (kind + zone + company, a vehicle, or a clutter's cell), so the
    same condition seen again updates this row. ``open_key`` equals ``key`` while the violation is
    open and is NULL once closed: the unique constraint on (city, open_key) allows one open
    violation per condition on both databases (NULLs never collide), which keeps a restarted or
    doubled worker from opening a duplicate.
    """

    __tablename__ = "violation"
    __table_args__ = (
        UniqueConstraint("city_id", "open_key"),
        Index("ix_violation_city_kind_opened", "city_id", "kind", "opened_at"),
        Index("ix_violation_city_closed", "city_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ViolationKind] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    open_key: Mapped[str | None] = mapped_column(String(200), default=None)
    zone_id: Mapped[int | None] = mapped_column(
        ForeignKey("zone.id", ondelete="SET NULL"), index=True, default=None
    )
    # NULL when the condition is not one company's (a parking place over capacity, a mixed clutter).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True, default=None
    )
    count: Mapped[int] = mapped_column(default=0)
    max_count: Mapped[int] = mapped_column(default=0)
    # The limit the count or duration was compared with (capacity, cap, seconds), if any.
    threshold: Mapped[float | None] = mapped_column(default=None)
    # Where the map shows it: the vehicles' centre.
    lon: Mapped[float]
    lat: Mapped[float]
    # Evidence: the vehicles (first ones, see ``evidence["vehicles_total"]``) and counts.
    vehicles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Changes when the count, the threshold or the set of vehicles changes.
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # The earliest moment the vehicles involved were first seen where they stand.
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The first evaluation that no longer saw it; cleared again if it is seen within the grace.
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def is_open(self) -> bool:
        """Whether the condition still holds (or cleared less than the grace ago)."""
        return self.closed_at is None


class ComplianceThreshold(CityScoped, Base):
    """A city's override of detector thresholds for the city, a zone kind, or one zone."""

    __tablename__ = "compliance_threshold"
    __table_args__ = (UniqueConstraint("city_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``city``, ``kind:<zone kind>`` or ``zone:<zone id>`` (see thresholds.py).
    level: Mapped[str] = mapped_column(String(64))
    # Only the fields the city changed; the rest come from the next level up.
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class DutyZoneLoad(CityScoped, Base):
    """A duty zone's load at one moment: the time series behind the duty-zone board's trend."""

    __tablename__ = "duty_zone_load"
    __table_args__ = (Index("ix_duty_zone_load_zone_at", "zone_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    vehicles: Mapped[int]
    target_load: Mapped[int | None] = mapped_column(default=None)
    open_violations: Mapped[int] = mapped_column(default=0)
