"""A complaint sent to the damage desk follows its handover.

The damage domain sits below complaints and never calls up, so the job
``complaints.follow_handovers`` reads the handover a complaint in work points at
(``Complaint.damage_ref`` is the handover's reference):

- collected or resolved → the complaint is resolved with an answer in the complainant's language
  (the handover's reference and when the company took the vehicle off the street) and, with
  consent, e-mailed like every answer;
- cancelled (the operator withdrew it as a wrong report) → the complaint goes back to staff
  (``received``) with the reason; if a scout's task is still open on it, the task carries on and
  only a note is left.

The handover that no longer speaks for the complaint is detached (``damage_ref`` cleared) once
withdrawn; a collected one stays on it, as its answer says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints import messages
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import ComplaintAction, ComplaintStatus
from tartip.complaints.models import Complaint, ComplaintComment
from tartip.damage.enums import EventKind, HandoverStatus
from tartip.damage.models import Handover, HandoverEvent
from tartip.ops.enums import OPEN_STATES
from tartip.ops.models import Task

# The damage desk's steps a complaint acts on.
OVER = (HandoverStatus.collected, HandoverStatus.resolved, HandoverStatus.cancelled)


def follow_handovers(db: Session, *, city: City, config: ComplaintConfig, at: datetime) -> int:
    """Resolve complaints whose handover is over; hand back those whose handover was withdrawn.
    Returns how many complaints moved."""
    stmt = (
        select(Complaint, Handover)
        .join(
            Handover,
            and_(Handover.city_id == Complaint.city_id, Handover.reference == Complaint.damage_ref),
        )
        .where(
            Complaint.city_id == city.id,
            Complaint.status == ComplaintStatus.in_work,
            Handover.status.in_([s.value for s in OVER]),
        )
        .order_by(Complaint.id)
    )
    moved = 0
    for complaint, handover in db.execute(stmt).all():
        if handover.status == HandoverStatus.cancelled:
            moved += _withdrawn(db, complaint=complaint, handover=handover, city=city, at=at)
        else:
            _over(db, complaint=complaint, handover=handover, city=city, config=config, at=at)
            moved += 1
    db.flush()
    return moved


def _over(
    db: Session,
    *,
    complaint: Complaint,
    handover: Handover,
    city: City,
    config: ComplaintConfig,
    at: datetime,
) -> None:
    collected = handover.collected_at is not None
    when = handover.collected_at or handover.resolved_at or at
    answer = messages.handover_answer(
        complaint.locale, reference=handover.reference, collected=collected, at=when,
        timezone=city.timezone,
    )  # fmt: skip
    complaints.step(
        db, complaint=complaint, action=ComplaintAction.resolve, actor=complaints.DAMAGE_DESK,
        text=answer, at=at,
    )  # fmt: skip
    complaints.send_answer(db, complaint=complaint, config=config)


def _reason(db: Session, handover: Handover) -> str:
    stmt = (
        select(HandoverEvent.note)
        .where(HandoverEvent.handover_id == handover.id, HandoverEvent.kind == EventKind.cancelled)
        .order_by(HandoverEvent.at.desc(), HandoverEvent.id.desc())
    )
    return (db.scalars(stmt).first() or "").strip() or "—"


def _withdrawn(
    db: Session, *, complaint: Complaint, handover: Handover, city: City, at: datetime
) -> int:
    note = messages.text(
        city.default_locale, messages.HANDOVER_CANCELLED, reference=handover.reference,
        reason=_reason(db, handover),
    )  # fmt: skip
    complaint.damage_ref = None
    task = db.get(Task, complaint.task_id) if complaint.task_id is not None else None
    if task is not None and task.state in OPEN_STATES:
        # A scout is still on it: the task decides; staff read why the desk let go.
        db.add(
            ComplaintComment(
                city_id=complaint.city_id,
                complaint_id=complaint.id,
                company_id=None,
                by_company=False,
                author=complaints.DAMAGE_DESK.label,
                body=note,
                at=at,
            )  # fmt: skip
        )
        complaint.updated_at = at
        return 0
    complaints.step(
        db, complaint=complaint, action=ComplaintAction.hand_back, actor=complaints.DAMAGE_DESK,
        text=note, at=at,
    )  # fmt: skip
    return 1
