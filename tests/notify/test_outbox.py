"""The e-mail outbox against a real SMTP server (aiosmtpd on a free port): sent, retried with
backoff when the server is away, failed for good on a 5xx, kept queued with no server set, and
sent after a restart."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput
from tartip.core.jobs import JobContext
from tartip.notify import jobs, service, smtp
from tartip.notify.enums import EmailStatus
from tartip.notify.models import OutboundEmail
from tartip.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """What the test SMTP server received; addresses starting "nobody" are refused for good."""

    messages: list[Message] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address.startswith("nobody"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    controller: Any = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), inbox=Inbox())
    server.start()
    yield server
    server.stop()


def settings_for(port: int, host: str = "127.0.0.1") -> Settings:
    return Settings(
        env="test", smtp_host=host, smtp_port=port, smtp_starttls=True,
        smtp_from_address="operator@tartip.kz", smtp_timeout_s=2.0, email_backoff_s=60,
        email_max_attempts=3,
    )  # fmt: skip


def queue(db: Session, city: City, to: str = "aigul@example.kz") -> OutboundEmail:
    return service.queue_email(
        db, city_id=city.id, to=to, subject="Ответ на обращение\r\nBcc: evil@example.kz",
        body="Самокаты убраны.\nСпасибо!", kind="complaint.answer", ref="ALA-261126-0001",
    )  # fmt: skip


def run_job(db: Session, city: City, settings: Settings) -> None:
    jobs.send_email_job(JobContext(settings=settings, http=None), db, city)


def test_a_queued_message_is_sent(db: Session, city: City, smtp_server: SmtpServer):
    message = queue(db, city)
    run_job(db, city, settings_for(smtp_server.port))
    assert message.status == EmailStatus.sent and message.attempts == 1
    assert message.sent_at is not None
    [got] = smtp_server.inbox.messages
    assert got["To"] == "aigul@example.kz" and got["From"] == "operator@tartip.kz"
    assert got["Message-ID"] == message.message_id and got["X-Tartip-Ref"] == "ALA-261126-0001"
    # The subject is one line: no header can be smuggled in.
    assert got["Bcc"] is None and "Bcc: evil" in str(email.header.make_header(
        email.header.decode_header(got["Subject"])))  # fmt: skip
    assert "Самокаты убраны." in got.get_payload(decode=True).decode()


def test_a_server_away_is_retried_with_backoff(db: Session, city: City, smtp_server: SmtpServer):
    message = queue(db, city)
    smtp_server.stop()
    settings = settings_for(smtp_server.port)
    first = utcnow()
    service.send_due(
        db, city_id=city.id, send=lambda m: smtp.send(settings, m),
        policy=jobs.policy_of(settings), at=first,
    )  # fmt: skip
    assert message.status == EmailStatus.queued and message.attempts == 1
    assert message.last_error and message.next_attempt_at >= first + timedelta(seconds=59)
    # Not due yet: nothing is tried.
    run_job(db, city, settings)
    assert message.attempts == 1
    smtp_server.start()
    message.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff has passed
    run_job(db, city, settings)
    assert message.status == EmailStatus.sent and message.attempts == 2
    assert len(smtp_server.inbox.messages) == 1
    assert jobs.policy_of(settings).delay(2) == timedelta(seconds=120)


def test_too_many_failures_or_a_5xx_fail_for_good(db: Session, city: City, smtp_server: SmtpServer):
    refused = queue(db, city, to="nobody@example.kz")
    run_job(db, city, settings_for(smtp_server.port))
    assert refused.status == EmailStatus.failed and "550" in refused.last_error
    away = queue(db, city)
    closed = settings_for(free_port())
    for _ in range(3):
        away.next_attempt_at = utcnow() - timedelta(seconds=1)
        run_job(db, city, closed)
    assert away.status == EmailStatus.failed and away.attempts == 3
    assert smtp_server.inbox.messages == []


def test_without_a_smtp_host_messages_stay_queued_and_go_after_a_restart(
    db: Session, city: City, smtp_server: SmtpServer
):
    message = queue(db, city)
    run_job(db, city, Settings(env="test"))
    assert message.status == EmailStatus.queued and message.attempts == 0
    assert service.counts(db, city_id=city.id)["queued"] == 1
    # A new worker (a restart) reads the outbox from the database and sends what waits.
    db.expire_all()
    run_job(db, city, settings_for(smtp_server.port))
    row = db.scalars(select(OutboundEmail).where(OutboundEmail.id == message.id)).one()
    assert row.status == EmailStatus.sent and len(smtp_server.inbox.messages) == 1


def test_old_sent_messages_are_deleted(db: Session, city: City, smtp_server: SmtpServer):
    message = queue(db, city)
    run_job(db, city, settings_for(smtp_server.port))
    waiting = queue(db, city)
    assert service.purge_sent(db, city_id=city.id, before=utcnow() - timedelta(days=1)) == 0
    assert service.purge_sent(db, city_id=city.id, before=utcnow() + timedelta(seconds=1)) == 1
    assert db.get(OutboundEmail, waiting.id) is not None
    assert db.scalars(select(OutboundEmail).where(OutboundEmail.id == message.id)).first() is None


def test_a_bad_address_is_refused_when_queued(db: Session, city: City):
    with pytest.raises(InvalidInput):
        service.queue_email(
            db, city_id=city.id, to="not an address", subject="x", body="y", kind="test"
        )
