"""Background jobs of the notify domain: send the outbox, forget old messages.

- ``notify.send_email`` sends every due message of the city through SMTP (``smtp.py``), with
  retries and backoff (``service.send_due``). No SMTP host configured: nothing is tried and the
  messages stay queued.
- ``notify.purge_sent`` deletes sent and failed messages after ``email_retention_days``: they
  hold people's addresses.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.notify import service, smtp
from tartip.settings import Settings

log = logging.getLogger(__name__)


def policy_of(settings: Settings) -> service.RetryPolicy:
    """The retry policy the settings ask for."""
    return service.RetryPolicy(
        max_attempts=settings.email_max_attempts, backoff_s=settings.email_backoff_s
    )


@job("notify.send_email", every_s=10.0)
def send_email_job(ctx: JobContext, db: Session, city: City) -> None:
    """Send the city's due e-mails (nothing while no SMTP host is configured)."""
    if not ctx.settings.smtp_host:
        return
    sent = service.send_due(
        db, city_id=city.id, send=partial(smtp.send, ctx.settings), policy=policy_of(ctx.settings)
    )
    if sent:
        log.info("city %s: %d e-mails sent", city.id, sent)


@job("notify.purge_sent", every_s=3600.0)
def purge_job(ctx: JobContext, db: Session, city: City) -> None:
    """Delete the city's sent and failed messages older than the retention time."""
    before = utcnow() - timedelta(days=ctx.settings.email_retention_days)
    removed = service.purge_sent(db, city_id=city.id, before=before)
    if removed:
        log.info("city %s: %d old e-mails deleted from the outbox", city.id, removed)
