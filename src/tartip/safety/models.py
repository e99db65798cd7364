"""Tables of the safety domain: incidents (crashes, falls, near misses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime
from tartip.safety.enums import IncidentKind, IncidentSource, Severity


class Incident(CityScoped, Timestamped, Base):
    """One incident with a shared vehicle: where, when, which company's vehicle, how bad."""

    __tablename__ = "incident"
    __table_args__ = (
        # A sender's own case number makes its POST idempotent (police and companies resend).
        UniqueConstraint("reported_by_user_id", "external_ref"),
        Index("ix_incident_city_occurred", "city_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IncidentKind] = mapped_column(String(16))
    severity: Mapped[Severity] = mapped_column(String(16))
    source: Mapped[IncidentSource] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lon: Mapped[float]
    lat: Mapped[float]
    # The company whose vehicle it was, when known (a police report may not say).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True, default=None
    )
    # The vehicle as the sender named it: its code on the deck or its feed id.
    vehicle_code: Mapped[str | None] = mapped_column(String(255), default=None)
    injured: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    reported_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    reported_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
