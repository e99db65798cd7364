"""Background jobs of the reports domain (registered with ``tartip.core.jobs.job``).

- ``reports.issue_monthly`` issues the month's report once the next month is a few hours old
  (``issue.ISSUE_DELAY``), if nobody issued it already; the report is then kept unchanged.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.reports import issue

log = logging.getLogger(__name__)


@job("reports.issue_monthly", every_s=900.0)
def issue_monthly(ctx: JobContext, db: Session, city: City) -> None:
    """Issue last month's report when it is due."""
    base_url = getattr(ctx.settings, "public_base_url", None)
    row = issue.issue_due(db, city=city, now=utcnow(), base_url=base_url)
    if row is not None:
        log.info(
            "issued the report of %s for city %s (version %d)",
            issue.period_label(row),
            city.slug,
            row.version,
        )
