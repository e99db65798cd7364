"""Tables of the notify domain: the persistent e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime
from tartip.notify.enums import EmailStatus


class OutboundEmail(CityScoped, Timestamped, Base):
    """One e-mail Tartip will send (or sent): written before any attempt, so none is lost.

    ``message_id`` is fixed when the message is queued, so a message sent twice (a crash between
    the SMTP server's "250 OK" and the commit) reaches the reader as one.
    """

    __tablename__ = "notify_outbound_email"
    __table_args__ = (Index("ix_notify_outbound_email_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # What the message is about, for people reading the outbox ("complaint.answer").
    kind: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[EmailStatus] = mapped_column(String(16), default=EmailStatus.queued)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
