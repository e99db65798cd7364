"""Routing a complaint: a scout's task through field operations, a case for the companies, the
damage desk; following the task back; the companies' threads.

A place-fixable complaint (badly parked, blocking a passage, a damaged vehicle) becomes one ops
``Task`` (origin ``complaint``, ``source_ref`` = the reference, due when the complaint is). Field
operations sit below complaints and never call up, so the job ``complaints.follow_tasks`` reads
the task's state: done → the complaint is resolved with an answer written from the work log, in the
complainant's language, and e-mailed; could not be done or withdrawn → it goes back to staff
(``received``) with the scout's reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.complaints import access, matches, matching, messages
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    OPEN,
    PLACE_FIXABLE,
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    MatchOrigin,
    MatchState,
)
from tartip.complaints.models import (
    Complaint,
    ComplaintComment,
    ComplaintCompany,
    ComplaintPhoto,
    ComplaintVehicle,
)
from tartip.complaints.schemas import CommentCreate, RouteRequest
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, Problem
from tartip.damage import intake as damage_intake
from tartip.damage import service as damage_service
from tartip.ops import service as tasks_service
from tartip.ops.enums import OPEN_STATES, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Task, WorkLog
from tartip.ops.service import WorkRule

C = ComplaintCategory
# As for the violation of the same kind (``ops.jobs.WORK``): the complaint's own due time
# (answering the complainant) is often a day away, and the planner serves the nearest deadlines
# first, so a task due then would wait behind every violation of the hour.
TASK_OF: dict[ComplaintCategory, WorkRule] = {
    C.blocking_passage: WorkRule(
        TaskKind.move_to_parking, 5, timedelta(minutes=30), "Blocking a passage"
    ),
    C.badly_parked: WorkRule(TaskKind.move_to_parking, 4, timedelta(hours=1), "Badly parked"),
    C.damaged_vehicle: WorkRule(TaskKind.inspect_vehicle, 3, timedelta(hours=4), "Damaged vehicle"),
}
URGENT_SOURCES = frozenset({ComplaintSource.government, ComplaintSource.police})
VEHICLES_KEPT = 20
ENDED = (TaskState.done, TaskState.could_not_do, TaskState.cancelled)


def route(db: Session, *, scope: Scope, reference: str, data: RouteRequest) -> Complaint:
    """Send an open complaint to a scout's task and/or its companies; it is then in work."""
    access.require_editor(scope)
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    if complaint.status not in OPEN:
        raise Conflict(f"complaint {complaint.reference} is {complaint.status}; re-open it first")
    if not (data.task or data.companies or data.damage):
        raise InvalidInput("choose where to send it", problems=[Problem("task", "nothing chosen")])
    before = complaints.summary(complaint)
    routed = send(
        db, scope=scope, complaint=complaint, task=data.task, damage=data.damage,
        companies=data.companies, note=data.note,
    )  # fmt: skip
    audit.record(
        db, actor=scope.actor, action="complaint.route", entity_type="complaint",
        entity_id=complaint.reference, city_id=complaint.city_id, before=before,
        after={**complaints.summary(complaint), "routed": routed},
    )  # fmt: skip
    return complaint


def send(
    db: Session,
    *,
    scope: Scope,
    complaint: Complaint,
    task: bool,
    damage: bool,
    companies: bool,
    note: str = "",
    automatic: bool = False,
) -> list[str]:
    """Hand the complaint to the damage desk, a scout's task and/or its companies, and take a
    received one in work; returns what was done. A person's sending confirms the companies;
    automatic routing leaves them suggested (see ``route_to_companies``)."""
    done: list[str] = []
    if damage:
        done.append(hand_to_damage(db, scope=scope, complaint=complaint))
    if task:
        done.append(f"task {open_task(db, scope=scope, complaint=complaint).id}")
    slugs = (
        route_to_companies(db, scope=scope, complaint=complaint, confirm=not automatic)
        if companies
        else []
    )
    if complaint.status == ComplaintStatus.received:
        complaints.step(
            db, complaint=complaint, action=ComplaintAction.take, actor=scope.actor,
            text=note or route_note(done, slugs, automatic=automatic),
        )  # fmt: skip
    db.flush()
    return done + slugs


def route_note(done: list[str], slugs: list[str], *, automatic: bool = False) -> str:
    """The history's note on a routing step. Every company a complaint was sent to reads its
    history, so the note names none of them (the audit trail does, for staff)."""
    parts = done + (["the companies concerned"] if slugs else [])
    return ("routed automatically: " if automatic else "routed: ") + ", ".join(parts)


def _task_vehicles(db: Session, complaint: Complaint) -> list[dict[str, Any]]:
    rows = matches.vehicles_of(db, complaint_id=complaint.id)
    found: list[dict[str, Any]] = [
        {"vehicle_id": v.vehicle_id, "company_id": v.company_id, "lon": v.lon, "lat": v.lat}
        for v in rows
        if v.state != MatchState.rejected
    ]
    return found[:VEHICLES_KEPT]


def _company_ids(db: Session, complaint: Complaint) -> list[int]:
    links = matches.companies_of(db, complaint_id=complaint.id)
    return sorted({c.company_id for c in links if c.state != MatchState.rejected})


def open_task(db: Session, *, scope: Scope, complaint: Complaint) -> Task:
    """A scout's task for a place-fixable complaint (one open task at a time)."""
    category = ComplaintCategory(complaint.category)
    if category not in PLACE_FIXABLE:
        raise InvalidInput(
            "a scout cannot fix this at the place; send it to the companies",
            problems=[Problem("task", f"{category.value} is about riders, not vehicles")],
        )
    if complaint.task_id is not None:
        current = db.get(Task, complaint.task_id)
        if current is not None and current.state in OPEN_STATES:
            raise Conflict(f"complaint {complaint.reference} already has open task {current.id}")
    rule = TASK_OF[category]
    priority = rule.priority
    if complaint.source in URGENT_SOURCES:
        priority = min(priority + 1, 5)
    now = utcnow()
    zone_id = matching.duty_zone_at(
        db, city_id=complaint.city_id, lon=complaint.lon, lat=complaint.lat, at=now
    )
    task = Task(
        city_id=complaint.city_id,
        kind=rule.kind,
        origin=TaskOrigin.complaint,
        state=TaskState.new,
        title=f"{rule.title}: {complaint.reference}",
        # What the complainant wrote is what the scout needs; never their contact details.
        notes="\n".join(p for p in (complaint.address, complaint.description) if p),
        priority=priority,
        lon=complaint.lon,
        lat=complaint.lat,
        zone_id=zone_id or complaint.zone_id,
        deadline=min(complaint.due_at, now + rule.within),
        source_ref=complaint.reference,
        company_ids=_company_ids(db, complaint),
        vehicles=_task_vehicles(db, complaint),
        created_by=scope.username,
        created_at=now,
        updated_at=now,
    )
    db.add(task)
    db.flush()
    complaint.task_id = task.id
    audit.record(
        db, actor=scope.actor, action="task.create", entity_type="task", entity_id=task.id,
        city_id=task.city_id, before={}, after=tasks_service.summary(task),
    )  # fmt: skip
    return task


def _damaged_vehicle(db: Session, complaint: Complaint) -> ComplaintVehicle:
    rows = [
        v
        for v in matches.vehicles_of(db, complaint_id=complaint.id)
        if v.state != MatchState.rejected
    ]
    confirmed = [v for v in rows if v.state == MatchState.confirmed]
    chosen = confirmed or rows
    if len(chosen) != 1:
        raise InvalidInput(
            "confirm the one damaged vehicle first",
            problems=[Problem("damage", f"{len(chosen)} vehicles are candidates; confirm one")],
        )
    return chosen[0]


def hand_to_damage(db: Session, *, scope: Scope, complaint: Complaint) -> str:
    """Report the complaint's damaged vehicle to the damage desk, which hands it to its company
    (one vehicle per complaint; the same complaint twice is taken once). Returns what was done."""
    if complaint.category != ComplaintCategory.damaged_vehicle:
        raise InvalidInput(
            "only a damaged-vehicle complaint goes to the damage desk",
            problems=[Problem("damage", f"{complaint.category} is not about a damaged vehicle")],
        )
    vehicle = _damaged_vehicle(db, complaint)
    paths = [
        p.path
        for p in db.scalars(
            select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == complaint.id)
        )
    ]
    case = damage_intake.from_complaint(
        db, city_id=complaint.city_id, complaint_id=complaint.id, actor=scope.actor,
        company_id=vehicle.company_id, code=vehicle.vehicle_id,
        # What the complainant wrote about the vehicle; never their contact details.
        description=complaint.description, lon=vehicle.lon or complaint.lon,
        lat=vehicle.lat or complaint.lat,
        feed_vehicle_id=vehicle.vehicle_id if vehicle.origin != MatchOrigin.staff else None,
        photo_paths=paths, reported_at=complaint.received_at,
    )  # fmt: skip
    if case is not None:
        complaint.damage_ref = damage_service.reference_for(case.id)
    elif complaint.damage_ref is None:
        # The desk took this complaint in before, and that handover was withdrawn or is over.
        raise Conflict(
            f"complaint {complaint.reference} was handed to the damage desk before; "
            "report the vehicle again on the damage desk"
        )
    return f"damage {complaint.damage_ref}"


def route_to_companies(
    db: Session, *, scope: Scope, complaint: Complaint, confirm: bool = True
) -> list[str]:
    """Open the case to every company the complaint concerns; returns their slugs.

    A person sending it confirms the companies; automatic routing (``confirm`` False) leaves
    them suggested, so staff still see that nobody has looked yet."""
    links = [
        c
        for c in matches.companies_of(db, complaint_id=complaint.id)
        if c.state != MatchState.rejected
    ]
    if not links:
        raise InvalidInput(
            "no company to send it to: add one first",
            problems=[Problem("companies", "no company concerned")],
        )
    slugs = {c.id: c.slug for c in cities_service.list_companies(db, city_id=complaint.city_id)}
    now = utcnow()
    for link in links:
        if confirm:
            link.state = MatchState.confirmed
        if link.routed_at is None:
            link.routed_at, link.routed_by = now, scope.username
    return [slugs.get(link.company_id, str(link.company_id)) for link in links]


# ---- following the scout's task ------------------------------------------------------------


def follow_tasks(db: Session, *, city: City, config: ComplaintConfig, at: datetime) -> int:
    """Resolve complaints whose task was done; hand back those whose task was not. Returns how
    many complaints moved."""
    stmt = (
        select(Complaint, Task)
        .join(Task, Task.id == Complaint.task_id)
        .where(
            Complaint.city_id == city.id,
            Complaint.status == ComplaintStatus.in_work,
            Task.state.in_([s.value for s in ENDED]),
        )
        .order_by(Complaint.id)
    )
    moved = 0
    for complaint, task in db.execute(stmt):
        if task.state == TaskState.done:
            log = db.scalars(select(WorkLog).where(WorkLog.task_id == task.id)).first()
            finished = log.finished_at if log else (task.closed_at or at)
            answer = messages.task_answer(
                complaint.locale, finished_at=finished, timezone=city.timezone,
                count=log.total if log else 0, notes=log.notes if log else "",
            )  # fmt: skip
            complaints.step(
                db, complaint=complaint, action=ComplaintAction.resolve,
                actor=complaints.SYSTEM, text=answer, at=at,
            )  # fmt: skip
            complaints.send_answer(db, complaint=complaint, config=config)
        else:
            template = (
                messages.TASK_COULD_NOT
                if task.state == TaskState.could_not_do
                else messages.TASK_CANCELLED
            )
            note = messages.text(city.default_locale, template, reason=task.outcome_reason)
            complaints.step(
                db, complaint=complaint, action=ComplaintAction.hand_back,
                actor=complaints.SYSTEM, text=note, at=at,
            )  # fmt: skip
        moved += 1
    db.flush()
    return moved


# ---- the companies' threads ----------------------------------------------------------------


def comments_of(db: Session, *, scope: Scope, complaint_id: int) -> list[ComplaintComment]:
    """The notes and messages the caller may read: a company only its own thread."""
    return comments_of_each(db, scope=scope, complaint_ids=[complaint_id]).get(complaint_id, [])


def comments_of_each(
    db: Session, *, scope: Scope, complaint_ids: list[int]
) -> dict[int, list[ComplaintComment]]:
    """Each complaint's notes and messages the caller may read (one query for a page)."""
    found: dict[int, list[ComplaintComment]] = {}
    if not complaint_ids:
        return found
    c = ComplaintComment
    stmt = select(c).where(c.complaint_id.in_(complaint_ids))
    if scope.company_id is not None:
        stmt = stmt.where(c.company_id == scope.company_id)
    elif not access.sees_all_companies(scope):
        return found
    for note in db.scalars(stmt.order_by(c.at, c.id)):
        found.setdefault(note.complaint_id, []).append(note)
    return found


def comment(db: Session, *, scope: Scope, reference: str, data: CommentCreate) -> ComplaintComment:
    """A company's answer in its thread, or staff's note (internal, or to one company)."""
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    now = utcnow()
    if scope.company_id is not None:
        company_id: int | None = scope.company_id
        by_company = True
        link = db.scalars(
            select(ComplaintCompany).where(
                ComplaintCompany.complaint_id == complaint.id,
                ComplaintCompany.company_id == scope.company_id,
            )
        ).first()
        if link is not None:
            link.answered_at = now
    elif access.can_edit(scope):
        by_company = False
        company_id = None
        if data.company:
            found = cities_service.get_company(db, city_id=complaint.city_id, slug=data.company)
            if found is None:
                raise InvalidInput("unknown company", problems=[Problem("company", data.company)])
            company_id = found.id
    else:
        raise Forbidden("only staff and the companies concerned write on a complaint")
    note = ComplaintComment(
        city_id=complaint.city_id, complaint_id=complaint.id, company_id=company_id,
        by_company=by_company, author=scope.username, author_user_id=scope.user_id,
        body=data.body.strip(), at=now,
    )  # fmt: skip
    db.add(note)
    complaint.updated_at = now
    db.flush()
    audit.record(
        db, actor=scope.actor, action="complaint.comment", entity_type="complaint",
        entity_id=complaint.reference, city_id=complaint.city_id,
        after={"comment_id": note.id, "company_id": company_id, "by_company": by_company},
    )  # fmt: skip
    return note
