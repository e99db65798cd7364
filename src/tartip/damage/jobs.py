"""Background jobs of the damage domain.

- ``damage.intake`` takes in the scouts' new damage reports (each once) and hands new cases over.
- ``damage.feed_intake`` opens cases for vehicles disabled in their feed longer than the city's
  threshold.
- ``damage.followup`` confirms collections from the companies' feeds and MDS events, and
  escalates handovers that became overdue.
- ``damage.deliver`` turns handover steps into webhook deliveries and e-mails, then sends the due
  deliveries (see ``webhooks``); it commits between the two, so nothing is lost on a restart.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.damage import followup, intake, service, webhooks

log = logging.getLogger(__name__)


@job("damage.intake", every_s=10.0)
def intake_reports(_ctx: JobContext, db: Session, city: City) -> None:
    """Take in the scouts' damage reports not taken in yet."""
    taken = intake.from_ops_reports(db, city_id=city.id, now=utcnow())
    if taken:
        log.info("took in %d damage reports in city %s", taken, city.slug)


@job("damage.feed_intake", every_s=120.0)
def feed_intake(_ctx: JobContext, db: Session, city: City) -> None:
    """Open cases for vehicles left disabled on the street too long."""
    taken = intake.from_feed(db, city_id=city.id, now=utcnow())
    if taken:
        log.info("the feed reported %d vehicles disabled too long in city %s", taken, city.slug)


@job("damage.followup", every_s=60.0)
def follow_up(_ctx: JobContext, db: Session, city: City) -> None:
    """Confirm collections from the companies' own data; escalate overdue handovers."""
    now = utcnow()
    by_feed = followup.confirm_by_feed(db, city_id=city.id, now=now)
    by_mds = followup.confirm_by_mds(db, city_id=city.id, now=now)
    late = service.escalate(db, city_id=city.id, now=now)
    if by_feed or by_mds or late:
        log.info(
            "damage follow-up in %s: %d collected (feed), %d (MDS), %d escalated",
            city.slug,
            by_feed,
            by_mds,
            len(late),
        )


@job("damage.deliver", every_s=2.0)
def deliver(ctx: JobContext, db: Session, city: City) -> None:
    """Make deliveries from new handover steps (committed), then send the due ones."""
    webhooks.fan_out(db, city=city, base_url=ctx.settings.public_base_url)
    db.commit()
    if ctx.http is None:
        return
    outcomes = webhooks.send_due(db, http=ctx.http, settings=ctx.settings, city_id=city.id)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        log.info("%d of %d webhook deliveries failed in %s", len(failed), len(outcomes), city.slug)
