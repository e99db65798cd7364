"""Tables of the complaints domain: complaints, their history, matched vehicles and companies,
comments, photos, and the city's due times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.complaints.enums import (
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    DueClock,
    MatchOrigin,
    MatchState,
)
from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime

USER_FK = "user_account.id"
COMPLAINT_FK = "complaint.id"
COMPANY_FK = "company.id"


class Complaint(CityScoped, Timestamped, Base):
    """A complaint about vehicles at a place and time, from a citizen, a body or staff.

    ``reference`` is what the complainant is given and what every page and API call uses. The
    contact fields are personal data: shown to admins and supervisors only, and emptied
    ``complaint_contact_retention_days`` after the complaint closes (``contact_removed_at``).
    """

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("city_id", "filed_by_user_id", "external_ref"),
        Index("ix_complaint_city_status", "city_id", "status"),
        Index("ix_complaint_city_received", "city_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[ComplaintSource] = mapped_column(String(16))
    category: Mapped[ComplaintCategory] = mapped_column(String(32))
    status: Mapped[ComplaintStatus] = mapped_column(String(16), default=ComplaintStatus.received)
    lon: Mapped[float]
    lat: Mapped[float]
    address: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    description: Mapped[str] = mapped_column(Text, default="")
    # The language the complainant wrote in: answers and e-mails go out in it.
    locale: Mapped[str] = mapped_column(String(8), default="ru")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_consent: Mapped[bool] = mapped_column(default=False)
    contact_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The zone in force at the place when it was received (the most specific one), if any.
    zone_id: Mapped[int | None] = mapped_column(
        ForeignKey("zone.id", ondelete="SET NULL"), index=True, default=None
    )
    filed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    filed_by: Mapped[str] = mapped_column(String(200), default="")
    # The sender's own number (an appeals system's case id): a repeated POST returns the first.
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_task.id", ondelete="SET NULL"), index=True, default=None
    )
    # The damage handover this complaint became (the damage domain's reference), if any.
    damage_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set while resolved or rejected; cleared when re-opened (time to resolve uses the last one).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True, default=None)
    reopen_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplaintTransition(CityScoped, Base):
    """One step in a complaint's life: from which status to which, when, by whom, and why."""

    __tablename__ = "complaint_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey(COMPLAINT_FK, ondelete="CASCADE"), index=True
    )
    action: Mapped[ComplaintAction | None] = mapped_column(String(16), default=None)
    from_status: Mapped[ComplaintStatus | None] = mapped_column(String(16), default=None)
    to_status: Mapped[ComplaintStatus] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(Text, default="")


class ComplaintVehicle(CityScoped, Base):
    """A vehicle that was at the place around the time: found by matching, or added by staff."""

    __tablename__ = "complaint_vehicle"
    __table_args__ = (UniqueConstraint("complaint_id", "company_id", "vehicle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey(COMPLAINT_FK, ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True)
    # The id in the company's feed (GBFS ids rotate after a trip), or the code staff typed.
    vehicle_id: Mapped[str] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    distance_m: Mapped[float | None] = mapped_column(default=None)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    origin: Mapped[MatchOrigin] = mapped_column(String(16))
    state: Mapped[MatchState] = mapped_column(String(16), default=MatchState.suggested)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ComplaintCompany(CityScoped, Base):
    """A company the complaint concerns; once routed, the company sees it in its portal."""

    __tablename__ = "complaint_company"
    __table_args__ = (UniqueConstraint("complaint_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey(COMPLAINT_FK, ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True)
    origin: Mapped[MatchOrigin] = mapped_column(String(16))
    state: Mapped[MatchState] = mapped_column(String(16), default=MatchState.suggested)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    routed_by: Mapped[str] = mapped_column(String(200), default="")
    # The company's latest answer (its comments hold the whole thread).
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ComplaintComment(CityScoped, Base):
    """A note on a complaint: staff's internal note (no company), or a message in one company's
    thread (``company_id``), written by that company or by staff to it."""

    __tablename__ = "complaint_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey(COMPLAINT_FK, ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True, default=None
    )
    # True when the company itself wrote it (its answer), false for the operator's staff.
    by_company: Mapped[bool] = mapped_column(default=False)
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplaintPhoto(CityScoped, Base):
    """A photo sent with a complaint, stored re-encoded (no EXIF) under the data directory."""

    __tablename__ = "complaint_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey(COMPLAINT_FK, ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplaintDueTime(CityScoped, Base):
    """A city's own due time for a category and source ("*" for any), overriding the defaults."""

    __tablename__ = "complaint_due_time"
    __table_args__ = (UniqueConstraint("city_id", "category", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    hours: Mapped[float]
    clock: Mapped[DueClock] = mapped_column(String(16), default=DueClock.calendar)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplaintPolicy(CityScoped, Base):
    """A city's choices about complaints: whether new ones are routed without a person's click.

    No row means the defaults (``auto_route`` off: a new city routes by hand until an admin turns
    it on; the demo city has it on).
    """

    __tablename__ = "complaint_policy"
    __table_args__ = (UniqueConstraint("city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A place-fixable complaint goes to a scout (or the damage desk) and to its companies at once.
    auto_route: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
