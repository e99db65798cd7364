"""Background jobs of the complaints domain.

- ``complaints.follow_tasks``: a scout's finished task resolves its complaint with an answer (and
  an e-mail); a task that could not be done hands the complaint back to staff.
- ``complaints.follow_handovers``: a complaint sent to the damage desk is resolved when its
  company collected the vehicle (or resolved the handover), and handed back if it was withdrawn.
- ``complaints.remove_contacts``: contact details and photos of complaints closed longer than
  ``complaint_contact_retention_days`` ago are removed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints import following, retention, routing
from tartip.complaints.config import ComplaintConfig
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job

log = logging.getLogger(__name__)


@job("complaints.follow_tasks", every_s=10.0)
def follow_tasks_job(ctx: JobContext, db: Session, city: City) -> None:
    """Resolve or hand back the complaints whose scout's task ended."""
    moved = routing.follow_tasks(
        db, city=city, config=ComplaintConfig.from_settings(ctx.settings), at=utcnow()
    )
    if moved:
        log.info("city %s: %d complaints followed their task", city.id, moved)


@job("complaints.follow_handovers", every_s=10.0)
def follow_handovers_job(ctx: JobContext, db: Session, city: City) -> None:
    """Resolve or hand back the complaints whose damage handover is over or withdrawn."""
    moved = following.follow_handovers(
        db, city=city, config=ComplaintConfig.from_settings(ctx.settings), at=utcnow()
    )
    if moved:
        log.info("city %s: %d complaints followed their damage handover", city.id, moved)


@job("complaints.remove_contacts", every_s=3600.0)
def remove_contacts_job(ctx: JobContext, db: Session, city: City) -> None:
    """Remove contact details and photos after the retention time."""
    config = ComplaintConfig.from_settings(ctx.settings)
    now = utcnow()
    retention.remove_contacts(
        db, city_id=city.id, closed_before=now - timedelta(days=config.retention_days), at=now,
        roots=config.media_roots,
    )  # fmt: skip
