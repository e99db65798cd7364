"""Mass events in the city and the temporary zones each one carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime


class CityEvent(CityScoped, Timestamped, Base):
    """A mass event (a football match at the Central Stadium): a venue, a time, temporary rules."""

    __tablename__ = "city_event"
    __table_args__ = (Index("ix_city_event_city_starts", "city_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_lon: Mapped[float]
    venue_lat: Mapped[float]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The event's zones switch on this long before the start and off this long after the end.
    margin_before_min: Mapped[int] = mapped_column(default=60)
    margin_after_min: Mapped[int] = mapped_column(default=60)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CityEventZone(Base):
    """A temporary zone that belongs to an event (the zone's validity is the event's window)."""

    __tablename__ = "city_event_zone"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("city_event.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True, unique=True
    )
    # What the zone is for at the event (perimeter, hub, slow), for the event page.
    role: Mapped[str] = mapped_column(String(32), default="custom")
