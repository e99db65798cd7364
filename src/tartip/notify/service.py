"""The e-mail outbox: queue a message, send what is due, keep the outcome.

Every message is a row before anything is sent (``queue_email``); the job ``notify.send_email``
sends the due ones through the configured SMTP server (``smtp.py``) and commits after each, so a
restart loses nothing and repeats at most the one message in flight (its fixed Message-ID lets the
reader's mail system fold the copy). A failure that may pass (no answer, a 4xx reply) is tried again
after ``email_backoff_s``, doubled each time; a refusal for good (a 5xx reply) or the last allowed
attempt marks the message failed. With no SMTP host configured nothing is sent and every message
stays queued, where people can see it.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem
from tartip.notify.enums import EmailStatus
from tartip.notify.models import OutboundEmail

log = logging.getLogger(__name__)
# Deliberately loose: one "@", something on each side, a dot in the domain, no spaces. The SMTP
# server is the real judge; this only catches what a person mistyped into a form.
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")
MAX_ERROR = 2000
BACKOFF_CAP = timedelta(hours=6)


def is_email(value: str) -> bool:
    """Whether ``value`` looks like an e-mail address."""
    return len(value) <= 320 and EMAIL_PATTERN.fullmatch(value.strip()) is not None


def queue_email(
    db: Session,
    *,
    city_id: int,
    to: str,
    subject: str,
    body: str,
    kind: str,
    ref: str | None = None,
) -> OutboundEmail:
    """Put a message in the outbox; the ``notify.send_email`` job sends it."""
    address = to.strip()
    if not is_email(address):
        raise InvalidInput("not an e-mail address", problems=[Problem("to", f"{address!r}")])
    # Header injection: a subject is one line.
    one_line = " ".join(subject.split())
    message = OutboundEmail(
        city_id=city_id,
        to=address,
        subject=one_line[:300],
        body=body,
        kind=kind,
        ref=ref,
        message_id=f"<{uuid.uuid4().hex}@tartip>",
        status=EmailStatus.queued,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.add(message)
    db.flush()
    return message


def list_emails(
    db: Session,
    *,
    city_id: int,
    ref: str | None = None,
    status: EmailStatus | None = None,
    limit: int = 200,
) -> list[OutboundEmail]:
    """A city's outbox, newest first; only one subject's messages when ``ref`` is given."""
    stmt = select(OutboundEmail).where(OutboundEmail.city_id == city_id)
    if ref is not None:
        stmt = stmt.where(OutboundEmail.ref == ref)
    if status is not None:
        stmt = stmt.where(OutboundEmail.status == status)
    return list(db.scalars(stmt.order_by(OutboundEmail.id.desc()).limit(limit)))


def counts(db: Session, *, city_id: int) -> dict[str, int]:
    """How many messages of a city are in each status."""
    stmt = (
        select(OutboundEmail.status, func.count())
        .where(OutboundEmail.city_id == city_id)
        .group_by(OutboundEmail.status)
    )
    found = {str(status): int(n) for status, n in db.execute(stmt)}
    return {s.value: found.get(s.value, 0) for s in EmailStatus}


def due(db: Session, *, city_id: int, at: datetime, limit: int = 50) -> list[OutboundEmail]:
    """Queued messages whose next attempt is due, oldest first."""
    stmt = (
        select(OutboundEmail)
        .where(
            OutboundEmail.city_id == city_id,
            OutboundEmail.status == EmailStatus.queued,
            OutboundEmail.next_attempt_at <= at,
        )
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(limit)
    )
    return list(db.scalars(stmt))


class SendFailed(Exception):
    """A send did not succeed; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a message is tried."""

    max_attempts: int
    backoff_s: float

    def delay(self, attempts: int) -> timedelta:
        """The wait before the next try, after ``attempts`` failed ones."""
        return min(timedelta(seconds=self.backoff_s * 2 ** max(attempts - 1, 0)), BACKOFF_CAP)


Sender = Callable[[OutboundEmail], None]


def attempt(message: OutboundEmail, *, send: Sender, policy: RetryPolicy, at: datetime) -> bool:
    """Try to send one message and record the outcome on it; True when it was sent."""
    message.attempts += 1
    message.last_attempt_at = at
    try:
        send(message)
    except SendFailed as exc:
        message.last_error = str(exc)[:MAX_ERROR]
        if exc.permanent or message.attempts >= policy.max_attempts:
            message.status = EmailStatus.failed
            log.warning("e-mail %s failed for good: %s", message.id, exc)
        else:
            message.next_attempt_at = at + policy.delay(message.attempts)
            log.info("e-mail %s not sent (attempt %d): %s", message.id, message.attempts, exc)
        return False
    message.status = EmailStatus.sent
    message.sent_at = at
    message.last_error = ""
    return True


def send_due(
    db: Session, *, city_id: int, send: Sender, policy: RetryPolicy, at: datetime | None = None
) -> int:
    """Send every due message of a city, committing after each; returns how many were sent."""
    sent = 0
    for message in due(db, city_id=city_id, at=at or utcnow()):
        if attempt(message, send=send, policy=policy, at=utcnow()):
            sent += 1
        # One message per transaction: a crash repeats at most the message in flight.
        db.commit()
    return sent


def purge_sent(db: Session, *, city_id: int, before: datetime) -> int:
    """Delete messages sent or failed before ``before`` (they hold people's addresses)."""
    stmt = delete(OutboundEmail).where(
        OutboundEmail.city_id == city_id,
        OutboundEmail.status.in_([EmailStatus.sent.value, EmailStatus.failed.value]),
        func.coalesce(OutboundEmail.sent_at, OutboundEmail.last_attempt_at) < before,
    )
    result = db.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
