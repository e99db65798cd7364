"""Use cases of complaints: intake, photos, the status flow, staff's corrections, comments.

Routing to a scout's task or to the companies, and following the task, are ``routing.py``; who
sees what is ``access.py``. Every change a person makes is written to the audit trail (without
the complainant's contact details); the jobs' changes leave a ``ComplaintTransition`` row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.audit.service import Actor
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints import access, due_times, matches, matching, messages, reference
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    CLOSED,
    OPEN,
    ComplaintAction,
    ComplaintSource,
    ComplaintStatus,
)
from tartip.complaints.models import (
    Complaint,
    ComplaintPhoto,
    ComplaintTransition,
)
from tartip.complaints.schemas import ComplaintCreate, StatusChange
from tartip.core import photos
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from tartip.core.i18n import LOCALES
from tartip.damage import intake as damage_intake
from tartip.damage.enums import OFF_STREET, HandoverStatus
from tartip.damage.models import Handover
from tartip.notify import service as notify
from tartip.ops import service as tasks_service
from tartip.ops.enums import OPEN_STATES, TaskAction
from tartip.ops.models import Task

PUBLIC = Actor(user_id=None, label="public form")
SYSTEM = Actor(user_id=None, label="field operations")
DAMAGE_DESK = Actor(user_id=None, label="damage desk")
MAX_PHOTOS = 5
FUTURE_SLACK = timedelta(minutes=10)
OLDEST = timedelta(days=90)
# Who files through the API, and the source that follows from the role.
SOURCE_OF_ROLE = {
    Role.government: ComplaintSource.government,
    Role.police: ComplaintSource.police,
    Role.company_rep: ComplaintSource.company,
}
S = ComplaintStatus
TRANSITIONS: dict[ComplaintAction, tuple[frozenset[ComplaintStatus], ComplaintStatus]] = {
    ComplaintAction.take: (frozenset({S.received}), S.in_work),
    ComplaintAction.resolve: (frozenset(OPEN), S.resolved),
    ComplaintAction.reject: (frozenset(OPEN), S.rejected),
    ComplaintAction.reopen: (frozenset(CLOSED), S.in_work),
    ComplaintAction.hand_back: (frozenset({S.in_work}), S.received),
}
# What a step needs written (shown as is by the API, translated by the pages).
ANSWER_NEEDED = "Write the answer to the complainant."
REASON_NEEDED = "Write the reason."
NEEDS_TEXT = {
    ComplaintAction.resolve: ANSWER_NEEDED,
    ComplaintAction.reject: REASON_NEEDED,
    ComplaintAction.reopen: REASON_NEEDED,
}


def summary(complaint: Complaint) -> dict[str, Any]:
    """A complaint's state for the audit trail (never the contact details)."""
    return {
        "reference": complaint.reference,
        "status": str(complaint.status),
        "category": str(complaint.category),
        "source": str(complaint.source),
        "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        "task_id": complaint.task_id,
    }


def _audit(
    db: Session, *, actor: Actor, complaint: Complaint, action: str, before: dict[str, Any]
) -> None:
    audit.record(
        db, actor=actor, action=f"complaint.{action}", entity_type="complaint",
        entity_id=complaint.reference, city_id=complaint.city_id, before=before,
        after=summary(complaint),
    )  # fmt: skip


# ---- intake --------------------------------------------------------------------------------


def _source_for(scope: Scope | None, asked: ComplaintSource | None) -> ComplaintSource:
    if scope is None:
        return ComplaintSource.citizen
    if scope.company_id is None and scope.role in (Role.admin, Role.supervisor):
        return asked or ComplaintSource.staff
    source = SOURCE_OF_ROLE.get(scope.role)
    if source is None:
        raise Forbidden(f"role {scope.role.value!r} may not file complaints")
    if asked is not None and asked is not source:
        raise InvalidInput(
            "the source follows from the account",
            problems=[Problem("source", f"this account files as {source.value!r}")],
        )
    return source


def _check_place(city: City, data: ComplaintCreate) -> None:
    if city.boundary is not None and not shapely.intersects_xy(city.boundary, data.lon, data.lat):
        raise InvalidInput(
            "the place is outside the city",
            problems=[Problem("lon", f"({data.lon}, {data.lat}) is outside {city.name}")],
        )


def _check_time(occurred: datetime, now: datetime) -> None:
    if occurred > now + FUTURE_SLACK:
        raise InvalidInput("that time is in the future", problems=[Problem("occurred_at", "")])
    if occurred < now - OLDEST:
        raise InvalidInput(
            "that is too long ago", problems=[Problem("occurred_at", "at most 90 days ago")]
        )


def _check_contact(data: ComplaintCreate) -> None:
    if data.contact_email.strip() and not notify.is_email(data.contact_email):
        raise InvalidInput(
            "not an e-mail address", problems=[Problem("contact_email", "not an e-mail address")]
        )


def earlier(
    db: Session, *, scope: Scope | None, city: City, external_ref: str | None
) -> Complaint | None:
    """The complaint this account filed before under the same ``external_ref``, if any."""
    if scope is None or scope.user_id is None or not external_ref:
        return None
    stmt = select(Complaint).where(
        Complaint.city_id == city.id,
        Complaint.filed_by_user_id == scope.user_id,
        Complaint.external_ref == external_ref,
    )
    return db.scalars(stmt).first()


def create(
    db: Session,
    *,
    scope: Scope | None,
    city: City,
    data: ComplaintCreate,
    config: ComplaintConfig,
    now: datetime | None = None,
) -> Complaint:
    """Receive a complaint: reference, due time, zone, matched vehicles; a receipt by e-mail.

    ``scope`` is None for the public form (a citizen). A body's repeated POST with the same
    ``external_ref`` returns the complaint it made the first time.
    """
    at = now or utcnow()
    source = _source_for(scope, data.source)
    first = earlier(db, scope=scope, city=city, external_ref=data.external_ref)
    if first is not None:
        return first
    occurred = data.occurred_at or at
    _check_place(city, data)
    _check_time(occurred, at)
    _check_contact(data)
    has_contact = any(
        v.strip() for v in (data.contact_name, data.contact_email, data.contact_phone)
    )
    zone = matching.zone_at(db, city_id=city.id, lon=data.lon, lat=data.lat, at=at)
    complaint = Complaint(
        city_id=city.id,
        reference="",
        source=source,
        category=data.category,
        status=ComplaintStatus.received,
        lon=data.lon,
        lat=data.lat,
        address=data.address.strip(),
        occurred_at=occurred,
        received_at=at,
        description=data.description.strip(),
        locale=data.locale if data.locale in LOCALES else city.default_locale,
        contact_name=data.contact_name.strip(),
        contact_email=data.contact_email.strip(),
        contact_phone=data.contact_phone.strip(),
        contact_consent=data.contact_consent and has_contact,
        zone_id=zone.zone_id if zone else None,
        filed_by_user_id=scope.user_id if scope else None,
        filed_by=scope.username if scope else PUBLIC.label,
        external_ref=data.external_ref,
        updated_at=at,
    )
    complaint.due_at = due_times.due_for(db, city=city, complaint=complaint, config=config)
    _insert_with_reference(db, complaint=complaint, city=city)
    actor = scope.actor if scope else PUBLIC
    _transition(db, complaint, None, ComplaintStatus.received, actor=actor, at=at, note="")
    matches.match_vehicles(db, complaint=complaint, config=config, now=at)
    _audit(db, actor=actor, complaint=complaint, action="create", before={})
    _send_receipt(db, complaint=complaint, city=city, config=config)
    return complaint


def _insert_with_reference(db: Session, *, complaint: Complaint, city: City) -> None:
    for _attempt in range(20):
        complaint.reference = reference.next_reference(
            db, city_slug=city.slug, at=complaint.received_at, timezone=city.timezone
        )
        try:
            with db.begin_nested():
                db.add(complaint)
                db.flush()
            return
        except IntegrityError:
            # Another request took this number between our read and our write: take the next.
            continue
    raise Conflict("no free reference number; try again")


def _send_receipt(
    db: Session, *, complaint: Complaint, city: City, config: ComplaintConfig
) -> None:
    if not (complaint.contact_consent and complaint.contact_email):
        return
    mail = messages.receipt(
        complaint.locale,
        reference=complaint.reference,
        due_at=complaint.due_at,
        timezone=city.timezone,
        url=config.status_url(complaint.reference),
        days=config.retention_days,
    )
    notify.queue_email(
        db, city_id=complaint.city_id, to=complaint.contact_email, subject=mail.subject,
        body=mail.body, kind="complaint.receipt", ref=complaint.reference,
    )  # fmt: skip


def add_photo(
    db: Session,
    *,
    scope: Scope | None,
    complaint: Complaint,
    data: bytes,
    config: ComplaintConfig,
) -> ComplaintPhoto:
    """Attach a photo (checked by content, re-encoded without EXIF) to a complaint."""
    if scope is not None and not (
        access.can_edit(scope) or complaint.filed_by_user_id == scope.user_id
    ):
        raise Forbidden("only whoever filed the complaint, or staff, add photos")
    count = len(photo_ids(db, complaint_ids=[complaint.id]).get(complaint.id, []))
    if count >= MAX_PHOTOS:
        raise InvalidInput(
            f"at most {MAX_PHOTOS} photos", problems=[Problem("file", "too many photos")]
        )
    clean = photos.clean(data, config.photo_limits)
    path = photos.store(config.media_root, city_id=complaint.city_id, photo=clean)
    photo = ComplaintPhoto(
        city_id=complaint.city_id,
        complaint_id=complaint.id,
        path=path,
        content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
        size_bytes=len(clean.data),
        sha256=clean.sha256,
        uploaded_by_user_id=scope.user_id if scope else None,
        uploaded_at=utcnow(),
    )
    db.add(photo)
    db.flush()
    if complaint.damage_ref is not None:
        # Already at the damage desk (routed as it arrived): the company sees this photo too.
        damage_intake.add_complaint_photos(
            db, city_id=complaint.city_id, complaint_id=complaint.id, photo_paths=[path]
        )
    return photo


def photo_ids(db: Session, *, complaint_ids: list[int]) -> dict[int, list[int]]:
    """Photo ids per complaint."""
    if not complaint_ids:
        return {}
    stmt = select(ComplaintPhoto.complaint_id, ComplaintPhoto.id).where(
        ComplaintPhoto.complaint_id.in_(complaint_ids)
    )
    out: dict[int, list[int]] = {}
    for cid, pid in db.execute(stmt.order_by(ComplaintPhoto.id)):
        out.setdefault(cid, []).append(pid)
    return out


def get_photo_or_raise(
    db: Session, *, scope: Scope, reference: str, photo_id: int
) -> ComplaintPhoto:
    """A photo of a complaint the caller may see."""
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    photo = db.get(ComplaintPhoto, photo_id)
    if photo is None or photo.complaint_id != complaint.id:
        raise NotFound(f"no photo {photo_id} on complaint {complaint.reference}")
    return photo


# ---- the status flow -----------------------------------------------------------------------


def _transition(
    db: Session,
    complaint: Complaint,
    action: ComplaintAction | None,
    target: ComplaintStatus,
    *,
    actor: Actor,
    at: datetime,
    note: str,
) -> None:
    db.add(
        ComplaintTransition(
            city_id=complaint.city_id,
            complaint_id=complaint.id,
            action=action,
            from_status=complaint.status if action is not None else None,
            to_status=target,
            at=at,
            by=actor.label,
            by_user_id=actor.user_id,
            note=note,
        )
    )
    complaint.status = target
    complaint.updated_at = at


def step(
    db: Session,
    *,
    complaint: Complaint,
    action: ComplaintAction,
    actor: Actor,
    text: str = "",
    at: datetime | None = None,
) -> None:
    """Move a complaint one step (no permission check: callers check, jobs are trusted)."""
    allowed, target = TRANSITIONS[action]
    if ComplaintStatus(complaint.status) not in allowed:
        raise Conflict(
            f"complaint {complaint.reference} is {complaint.status}; "
            f"'{action.value}' is not possible now"
        )
    text = text.strip()
    if action in NEEDS_TEXT and not text:
        raise InvalidInput(NEEDS_TEXT[action], problems=[Problem("text", NEEDS_TEXT[action])])
    when = at or utcnow()
    _transition(db, complaint, action, target, actor=actor, at=when, note=text)
    if action is ComplaintAction.take:
        complaint.taken_at = complaint.taken_at or when
    elif action is ComplaintAction.resolve:
        complaint.answer, complaint.answered_at, complaint.closed_at = text, when, when
        complaint.reject_reason = ""
    elif action is ComplaintAction.reject:
        complaint.reject_reason, complaint.answered_at, complaint.closed_at = text, when, when
        complaint.answer = ""
    elif action is ComplaintAction.reopen:
        complaint.closed_at = None
        complaint.reopen_count += 1
    elif action is ComplaintAction.hand_back:
        complaint.task_id = None


def send_answer(db: Session, *, complaint: Complaint, config: ComplaintConfig) -> None:
    """E-mail the answer (or the reason for rejecting) when the complainant agreed to contact."""
    if not (complaint.contact_consent and complaint.contact_email):
        return
    resolved = complaint.status == ComplaintStatus.resolved
    mail = messages.answer(
        complaint.locale,
        reference=complaint.reference,
        resolved=resolved,
        answer=complaint.answer if resolved else complaint.reject_reason,
        url=config.status_url(complaint.reference),
    )
    notify.queue_email(
        db, city_id=complaint.city_id, to=complaint.contact_email, subject=mail.subject,
        body=mail.body, kind="complaint.answer", ref=complaint.reference,
    )  # fmt: skip


def change_status(
    db: Session, *, scope: Scope, reference: str, data: StatusChange, config: ComplaintConfig
) -> Complaint:
    """Staff move a complaint: take it in work, resolve, reject or re-open it."""
    access.require_editor(scope)
    if data.action is ComplaintAction.hand_back:
        raise InvalidInput("a complaint is handed back by field operations, not by hand")
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    before = summary(complaint)
    step(db, complaint=complaint, action=data.action, actor=scope.actor, text=data.text)
    db.flush()
    _audit(db, actor=scope.actor, complaint=complaint, action=data.action.value, before=before)
    if data.action in (ComplaintAction.resolve, ComplaintAction.reject):
        close_task_of(db, scope=scope, complaint=complaint, reason=f"complaint {data.action}d")
        send_answer(db, complaint=complaint, config=config)
    elif data.action is ComplaintAction.reopen:
        detach_finished_routes(db, complaint=complaint)
    return complaint


def detach_finished_routes(db: Session, *, complaint: Complaint) -> None:
    """A re-opened complaint starts its routing afresh: a task that ended and a handover that is
    over no longer speak for it (else following them would close it again at once). Both stay
    findable: the task by its ``source_ref``, the handover in the answer and the history."""
    if complaint.task_id is not None:
        task = db.get(Task, complaint.task_id)
        if task is None or task.state not in OPEN_STATES:
            complaint.task_id = None
    if complaint.damage_ref is not None:
        status = db.scalar(
            select(Handover.status).where(
                Handover.city_id == complaint.city_id, Handover.reference == complaint.damage_ref
            )
        )
        if status is None or HandoverStatus(status) in OFF_STREET:
            complaint.damage_ref = None


def close_task_of(db: Session, *, scope: Scope, complaint: Complaint, reason: str) -> None:
    """Withdraw the complaint's open task: staff closed the complaint by hand."""
    if complaint.task_id is None:
        return
    task = db.get(Task, complaint.task_id)
    if task is not None and task.state in OPEN_STATES:
        tasks_service.act(db, scope=scope, task_id=task.id, action=TaskAction.cancel, reason=reason)


def history(db: Session, *, complaint_id: int) -> list[ComplaintTransition]:
    """A complaint's steps, oldest first."""
    return history_of_each(db, complaint_ids=[complaint_id]).get(complaint_id, [])


def history_of_each(
    db: Session, *, complaint_ids: list[int]
) -> dict[int, list[ComplaintTransition]]:
    """Each complaint's steps, oldest first (one query for a page of complaints)."""
    found: dict[int, list[ComplaintTransition]] = {}
    if not complaint_ids:
        return found
    t = ComplaintTransition
    stmt = select(t).where(t.complaint_id.in_(complaint_ids)).order_by(t.at, t.id)
    for step in db.scalars(stmt):
        found.setdefault(step.complaint_id, []).append(step)
    return found
