"""Personal data kept no longer than needed: a complainant's contact details and photos are
removed ``complaint_contact_retention_days`` after the complaint closed (the public form says so).

A re-opened complaint is open again and keeps them until it closes anew. What stays is what the
figures need: category, source, place, times, status and the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.complaints.models import Complaint, ComplaintPhoto
from tartip.core import photos

log = logging.getLogger(__name__)


def remove_contacts(
    db: Session, *, city_id: int, closed_before: datetime, at: datetime, roots: Iterable[Path]
) -> int:
    """Empty the contact details and delete the photos of complaints closed before
    ``closed_before``; returns how many complaints were cleared."""
    stmt = select(Complaint).where(
        Complaint.city_id == city_id,
        Complaint.closed_at.is_not(None),
        Complaint.closed_at < closed_before,
        Complaint.contact_removed_at.is_(None),
    )
    found = list(db.scalars(stmt))
    if not found:
        return 0
    folders = list(roots)
    ids = [c.id for c in found]
    for photo in db.scalars(select(ComplaintPhoto).where(ComplaintPhoto.complaint_id.in_(ids))):
        photos.remove(folders, photo.path)
        db.delete(photo)
    for complaint in found:
        complaint.contact_name = ""
        complaint.contact_email = ""
        complaint.contact_phone = ""
        complaint.contact_consent = False
        complaint.contact_removed_at = at
    db.flush()
    log.info("city %s: contact details removed from %d closed complaints", city_id, len(found))
    return len(found)
