"""Sending one outbox message through the configured SMTP server with ``smtplib``.

Replies the server gives are sorted by their class: a 5xx reply refuses the message for good
(a wrong address, a refused sender), anything else — no connection, a timeout, a 4xx reply (the
server is busy, greylisting) — may pass, so the message is tried again later.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from tartip.notify.models import OutboundEmail
from tartip.notify.service import SendFailed


class SmtpSettings(Protocol):
    """The settings the sender reads (``tartip.settings.Settings`` has them all)."""

    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_starttls: bool
    smtp_from_address: str
    smtp_timeout_s: float


def build(message: OutboundEmail, *, from_address: str) -> EmailMessage:
    """The MIME message of an outbox row (plain text, UTF-8)."""
    mail = EmailMessage()
    mail["From"] = from_address
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id or make_msgid(domain="tartip")
    mail["Date"] = format_datetime(message.created_at)
    if message.ref:
        mail["X-Tartip-Ref"] = message.ref
    mail.set_content(message.body)
    return mail


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def send(settings: SmtpSettings, message: OutboundEmail) -> None:
    """Send ``message`` now, or raise ``SendFailed`` saying whether a retry may help."""
    if not settings.smtp_host:
        raise SendFailed("no SMTP host is configured (TARTIP_SMTP_HOST)", permanent=False)
    mail = build(message, from_address=settings.smtp_from_address)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as client:
            client.ehlo()
            if settings.smtp_starttls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password)
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise SendFailed(
            f"recipient refused: {exc.recipients}", permanent=all(_permanent(c) for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise SendFailed(
            f"SMTP {exc.smtp_code}: {text or exc.smtp_error!r}", permanent=_permanent(exc.smtp_code)
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
