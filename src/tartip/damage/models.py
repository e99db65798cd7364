"""Tables of the damage domain: cases, their reports and photos, handovers and their history,
batches (the printable act), each company's agreement, the city's policy, webhooks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.damage.enums import (
    DamageKind,
    DamageSource,
    DeliveryStatus,
    EventKind,
    HandoverStatus,
)
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime

USER_FK = "user_account.id"
COMPANY_FK = "company.id"


class DamageCase(CityScoped, Timestamped, Base):
    """One damaged vehicle: every report of it merged, from the first until it is off the street.

    ``key`` is the company and the vehicle's code (lower case). ``open_key`` equals ``key`` while
    the case is open and is NULL once the vehicle is collected (or the handover withdrawn): the
    unique (city, open_key) constraint allows one open case per vehicle on both databases (NULLs
    never collide), so two reports racing in from two phones merge instead of opening two cases.
    """

    __tablename__ = "damage_case"
    __table_args__ = (
        UniqueConstraint("city_id", "open_key"),
        Index("ix_damage_case_city_first_reported", "city_id", "first_reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL while nobody knows whose vehicle it is (a code no feed and no prefix matched).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True, default=None
    )
    # The code as the company knows it (what is printed on the vehicle, or its feed id).
    vehicle_code: Mapped[str] = mapped_column(String(255))
    # The live feed's id of the vehicle when a report matched it: how the feed confirms collection.
    feed_vehicle_id: Mapped[str | None] = mapped_column(String(255), default=None)
    key: Mapped[str] = mapped_column(String(300))
    open_key: Mapped[str | None] = mapped_column(String(300), default=None)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    first_reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report_count: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CaseReport(CityScoped, Base):
    """One report merged into a case: from a scout, a complaint, the feed or staff.

    ``source_key`` names the report where it came from (``ops:<id>``, ``complaint:<id>``,
    ``feed:<feed>:<vehicle id>:<episode start, UTC>``; rows from before episodes were keyed have
    no start); unique per city, so each report is taken in once however often the intake runs.
    """

    __tablename__ = "damage_case_report"
    __table_args__ = (UniqueConstraint("city_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("damage_case.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[DamageSource] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(300))
    ops_damage_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_damage_report.id", ondelete="SET NULL"), default=None
    )
    # The complaints domain sits above this one: its id is kept without a foreign key.
    complaint_id: Mapped[int | None] = mapped_column(default=None)
    code: Mapped[str] = mapped_column(String(500), default="")
    kinds: Mapped[list[DamageKind]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )


class CasePhoto(CityScoped, Base):
    """A photo of a case (stored once by ``core.photos``; this row points at the file)."""

    __tablename__ = "damage_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("damage_case.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("damage_case_report.id", ondelete="SET NULL"), default=None
    )
    path: Mapped[str] = mapped_column(String(300))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HandoverBatch(CityScoped, Base):
    """Handovers given to one company together: the printable act both sides sign."""

    __tablename__ = "damage_handover_batch"
    __table_args__ = (UniqueConstraint("city_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    # Names as they are signed on the act: the operator's person and the company's person.
    handed_over_by: Mapped[str] = mapped_column(String(200), default="")
    received_by: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Handover(CityScoped, Base):
    """A case handed to its company: each step time-stamped with who, and when it is due."""

    __tablename__ = "damage_handover"
    __table_args__ = (
        UniqueConstraint("case_id"),
        UniqueConstraint("city_id", "reference"),
        Index("ix_damage_handover_city_status_due", "city_id", "status", "due_at"),
        Index("ix_damage_handover_city_handed_over", "city_id", "handed_over_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("damage_case.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    status: Mapped[HandoverStatus] = mapped_column(String(16), default=HandoverStatus.handed_over)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("damage_handover_batch.id", ondelete="SET NULL"), index=True, default=None
    )
    handed_over_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handed_over_by: Mapped[str] = mapped_column(String(200), default="")
    # From the company's agreement: collect within N hours of the handover.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), default=None)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    collected_by: Mapped[str | None] = mapped_column(String(200), default=None)
    collected_via: Mapped[str | None] = mapped_column(String(16), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # Set once, when the escalation job found it overdue and told the supervisors.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HandoverEvent(CityScoped, Base):
    """One step in a handover's history; the outbox the webhooks and e-mails are made from.

    ``dispatched_at`` is NULL until the delivery job has turned the step into webhook deliveries
    and e-mails (in its own transaction), so a step made just before a restart is still sent.
    """

    __tablename__ = "damage_handover_event"
    __table_args__ = (
        Index("ix_damage_handover_event_city_dispatched", "city_id", "dispatched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(
        ForeignKey("damage_handover.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CompanyAgreement(CityScoped, Base):
    """What the city agreed with a company: time to collect, how to tell it, its fleet cap."""

    __tablename__ = "damage_agreement"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    collect_within_h: Mapped[float] = mapped_column(default=24.0)
    # The portal always shows handovers; these add the company's webhook and e-mail.
    deliver_webhook: Mapped[bool] = mapped_column(default=False)
    deliver_email: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    # Vehicles the city allows the company (read by the scorecard).
    fleet_cap: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class DamagePolicy(CityScoped, Base):
    """The city's damage settings: when the feed opens a case, whom to tell about overdue ones."""

    __tablename__ = "damage_policy"
    __table_args__ = (UniqueConstraint("city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A vehicle the feed shows disabled on the street longer than this becomes a case.
    disabled_after_h: Mapped[float] = mapped_column(default=24.0)
    # Supervisors' addresses (comma-separated) e-mailed when a handover becomes overdue.
    escalation_emails: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class WebhookEndpoint(CityScoped, Base):
    """A company's webhook: where Tartip posts handover events, and the secret that signs them."""

    __tablename__ = "damage_webhook_endpoint"
    __table_args__ = (UniqueConstraint("company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class WebhookDelivery(CityScoped, Base):
    """One event for one company's webhook: the exact body, and where its sending stands.

    The row is written (and committed) before the first attempt, so a restart loses nothing: the
    next worker finds it pending. ``next_attempt_at`` doubles as a lease: a worker moves it ahead
    before sending, so a second worker does not send the same delivery at the same time.
    """

    __tablename__ = "damage_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("delivery_id"),
        Index("ix_damage_webhook_delivery_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The UUID sent as ``X-Tartip-Delivery`` and the body's ``id``: the same on every attempt.
    delivery_id: Mapped[str] = mapped_column(String(36))
    company_id: Mapped[int] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("damage_webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    handover_id: Mapped[int | None] = mapped_column(
        ForeignKey("damage_handover.id", ondelete="SET NULL"), index=True, default=None
    )
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookAttempt(CityScoped, Base):
    """One attempt to deliver: when, what the receiver answered (or why not), how long it took."""

    __tablename__ = "damage_webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("damage_webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
