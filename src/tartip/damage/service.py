"""Handovers: who may see which, handing a case to its company, and each step after that.

A handover's life is handed_over → acknowledged → collected → resolved; a step may be skipped (a
company that collects at once never acknowledges), never taken back. Asking for a step already
taken changes nothing and answers with the handover as it is, so a company's system may repeat a
call safely. Every step is a ``HandoverEvent`` (the history, and the outbox the webhooks and
e-mails are made from) and, when a person took it, an audit entry.

Who sees what: the operator's supervisors, admins and technicians and the city's viewers see every
company's handovers; a company representative sees only their company's, and a rival's handover
looks like none (``NotFound``). Scouts report damage but do not follow handovers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, NotFound
from tartip.damage.enums import (
    OFF_STREET,
    WAITING,
    CollectedVia,
    DamageSource,
    EventKind,
    HandoverAction,
    HandoverStatus,
)
from tartip.damage.models import (
    CaseReport,
    CompanyAgreement,
    DamageCase,
    Handover,
    HandoverEvent,
)

# Who follows handovers (besides a company's own representatives).
VIEWERS = frozenset({Role.admin, Role.supervisor, Role.technician, Role.city_viewer})
# Who hands over, withdraws and batches handovers, and may answer for a company on the phone.
EDITORS = (Role.admin, Role.supervisor)
DEFAULT_COLLECT_H = 24.0
# A company representative's answers, and what each takes the handover to.
STEP_TO = {
    HandoverAction.acknowledge: HandoverStatus.acknowledged,
    HandoverAction.collect: HandoverStatus.collected,
    HandoverAction.resolve: HandoverStatus.resolved,
}
ORDER = [
    HandoverStatus.handed_over,
    HandoverStatus.acknowledged,
    HandoverStatus.collected,
    HandoverStatus.resolved,
]


def require_viewer(scope: Scope) -> None:
    """Raise ``Forbidden`` unless the caller may follow handovers at all."""
    if scope.company_id is None and scope.role not in VIEWERS:
        raise Forbidden(f"role {scope.role.value!r} does not follow damage handovers")


def require_editor(scope: Scope) -> None:
    """Raise ``Forbidden`` unless the caller is a supervisor or an admin of the operator."""
    if scope.company_id is not None:
        raise Forbidden("a company representative may not do this")
    scope.require(*EDITORS)


def is_overdue(handover: Handover, now: datetime) -> bool:
    """Whether the company has not collected the vehicle by the time it agreed to."""
    return handover.status in WAITING and handover.due_at < now


def reference_for(case_id: int) -> str:
    """The handover's reference number, as people quote it on the phone and in the act."""
    return f"DH-{case_id:06d}"


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverFilter:
    """What a list of handovers is narrowed to."""

    statuses: tuple[HandoverStatus, ...] = ()
    companies: tuple[str, ...] = ()
    overdue: bool | None = None
    source: DamageSource | None = None
    batch_id: int | None = None
    unbatched: bool = False


@dataclass(frozen=True)
class HandoverRow:
    """A handover with its case and company."""

    handover: Handover
    case: DamageCase
    company: Company


@dataclass(frozen=True)
class HandoverPage:
    """One page of handovers and how many match in all."""

    rows: list[HandoverRow]
    total: int


def _scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    require_viewer(scope)
    clauses: list[ColumnElement[bool]] = [Handover.city_id == scope.city_id]
    if scope.company_id is not None:
        clauses.append(Handover.company_id == scope.company_id)
    return clauses


def overdue_clauses(now: datetime) -> list[ColumnElement[bool]]:
    """What makes a handover overdue at ``now`` (the SQL side of ``is_overdue``)."""
    return [Handover.status.in_([s.value for s in WAITING]), Handover.due_at < now]


def reported_from(source: DamageSource, case_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Whether the case ``case_id`` has a report from ``source``."""
    return (
        select(CaseReport.id)
        .where(CaseReport.case_id == case_id, CaseReport.source == source)
        .exists()
    )


def _filter_clauses(
    scope: Scope, filters: HandoverFilter, now: datetime
) -> list[ColumnElement[bool]]:
    clauses = _scope_clauses(scope)
    if filters.statuses:
        clauses.append(Handover.status.in_([s.value for s in filters.statuses]))
    if filters.companies:
        clauses.append(Company.slug.in_(filters.companies))
    if filters.overdue is True:
        clauses += overdue_clauses(now)
    elif filters.overdue is False:
        waiting = Handover.status.in_([s.value for s in WAITING])
        clauses.append(or_(~waiting, Handover.due_at >= now))
    if filters.source is not None:
        clauses.append(reported_from(filters.source, Handover.case_id))
    if filters.batch_id is not None:
        clauses.append(Handover.batch_id == filters.batch_id)
    if filters.unbatched:
        clauses.append(Handover.batch_id.is_(None))
    return clauses


def list_handovers(
    db: Session,
    *,
    scope: Scope,
    filters: HandoverFilter | None = None,
    offset: int = 0,
    limit: int = 100,
    now: datetime | None = None,
) -> HandoverPage:
    """Handovers in the caller's scope matching the filters, newest first, one page."""
    clauses = _filter_clauses(scope, filters or HandoverFilter(), now or utcnow())
    stmt = _rows().where(*clauses).order_by(Handover.handed_over_at.desc(), Handover.id.desc())
    rows = [HandoverRow(h, c, co) for h, c, co in db.execute(stmt.offset(offset).limit(limit))]
    return HandoverPage(rows=rows, total=_count(db, clauses))


def count_handovers(
    db: Session, *, scope: Scope, filters: HandoverFilter, now: datetime | None = None
) -> int:
    """How many handovers in the caller's scope match the filters (no rows read)."""
    return _count(db, _filter_clauses(scope, filters, now or utcnow()))


def _count(db: Session, clauses: list[ColumnElement[bool]]) -> int:
    # Joined with Company: the filter by company slug needs it.
    total = db.scalar(
        select(func.count())
        .select_from(Handover)
        .join(Company, Company.id == Handover.company_id)
        .where(*clauses)
    )
    return int(total or 0)


def _rows() -> Select[Handover, DamageCase, Company]:
    """Handovers joined with their case and company (``HandoverRow``'s parts)."""
    return (
        select(Handover, DamageCase, Company)
        .join(DamageCase, DamageCase.id == Handover.case_id)
        .join(Company, Company.id == Handover.company_id)
    )


def get(db: Session, *, scope: Scope, handover_id: int) -> HandoverRow | None:
    """One handover in the caller's scope, or None."""
    stmt = _rows().where(Handover.id == handover_id, *_scope_clauses(scope))
    found = db.execute(stmt).first()
    return HandoverRow(*found) if found else None


def get_or_raise(db: Session, *, scope: Scope, handover_id: int) -> HandoverRow:
    """One handover in the caller's scope, or ``NotFound`` (a rival's looks like none)."""
    row = get(db, scope=scope, handover_id=handover_id)
    if row is None:
        raise NotFound(f"no damage handover {handover_id}")
    return row


def get_row(db: Session, *, handover_id: int) -> HandoverRow:
    """One handover with its case and company, for Tartip's own jobs (no caller's scope)."""
    found = db.execute(_rows().where(Handover.id == handover_id)).first()
    if found is None:
        raise NotFound(f"no damage handover {handover_id}")
    return HandoverRow(*found)


def history(db: Session, *, handover_ids: Sequence[int]) -> dict[int, list[HandoverEvent]]:
    """Each handover's steps, oldest first."""
    if not handover_ids:
        return {}
    stmt = (
        select(HandoverEvent)
        .where(HandoverEvent.handover_id.in_(list(handover_ids)))
        .order_by(HandoverEvent.at, HandoverEvent.id)
    )
    out: dict[int, list[HandoverEvent]] = {}
    for event in db.scalars(stmt):
        out.setdefault(event.handover_id, []).append(event)
    return out


def overdue_count(db: Session, *, scope: Scope, now: datetime | None = None) -> int:
    """How many handovers in the caller's scope are overdue now."""
    return count_handovers(db, scope=scope, filters=HandoverFilter(overdue=True), now=now)


# ---- handing over ----------------------------------------------------------------------------


def collect_within(db: Session, *, company_id: int) -> timedelta:
    """How long the company's agreement gives it to collect a handed-over vehicle."""
    hours = db.scalar(
        select(CompanyAgreement.collect_within_h).where(CompanyAgreement.company_id == company_id)
    )
    return timedelta(hours=DEFAULT_COLLECT_H if hours is None else float(hours))


def record_event(
    db: Session,
    handover: Handover,
    kind: EventKind,
    *,
    at: datetime,
    actor: str,
    note: str = "",
) -> HandoverEvent:
    """Add a step to a handover's history (the delivery job sends what companies hear of)."""
    event = HandoverEvent(
        city_id=handover.city_id, handover_id=handover.id, kind=kind, at=at, actor=actor, note=note
    )
    db.add(event)
    return event


def hand_over(
    db: Session, *, case: DamageCase, company_id: int, actor: str, at: datetime
) -> Handover:
    """Hand a case to its company now: due by the agreement's time, told by the delivery job."""
    if db.scalar(select(Handover.id).where(Handover.case_id == case.id)) is not None:
        raise Conflict(f"damage case {case.id} is already handed over")
    handover = Handover(
        city_id=case.city_id,
        case_id=case.id,
        company_id=company_id,
        reference=reference_for(case.id),
        status=HandoverStatus.handed_over,
        handed_over_at=at,
        handed_over_by=actor,
        due_at=at + collect_within(db, company_id=company_id),
        updated_at=at,
    )
    db.add(handover)
    db.flush()
    record_event(db, handover, EventKind.handed_over, at=at, actor=actor)
    return handover


def _close_case(db: Session, handover: Handover, at: datetime) -> None:
    case = db.get(DamageCase, handover.case_id)
    if case is not None and case.closed_at is None:
        case.open_key = None
        case.closed_at = at


def _editable(scope: Scope, handover: Handover) -> None:
    if scope.company_id is not None:
        if scope.company_id != handover.company_id:
            raise NotFound(f"no damage handover {handover.id}")
        return
    if scope.role not in EDITORS:
        raise Forbidden(f"role {scope.role.value!r} may not answer for a company")


@dataclass
class StepResult:
    """What a step did: the handover, and whether it changed (a repeat changes nothing)."""

    handover: Handover
    changed: bool
    events: list[HandoverEvent] = field(default_factory=list)


def _apply(handover: Handover, target: HandoverStatus, *, at: datetime, by: str) -> None:
    if target is HandoverStatus.acknowledged:
        handover.acknowledged_at, handover.acknowledged_by = at, by
    elif target is HandoverStatus.collected:
        handover.collected_at, handover.collected_by = at, by
    elif target is HandoverStatus.resolved:
        handover.resolved_at, handover.resolved_by = at, by
    handover.status = target
    handover.updated_at = at


def step(
    db: Session,
    *,
    handover: Handover,
    target: HandoverStatus,
    by: str,
    at: datetime,
    via: CollectedVia | None = None,
    note: str = "",
) -> StepResult:
    """Move a handover forward to ``target`` (a step already passed changes nothing)."""
    if handover.status == HandoverStatus.cancelled:
        raise Conflict(f"handover {handover.reference} was withdrawn by the operator")
    if ORDER.index(HandoverStatus(handover.status)) >= ORDER.index(target):
        return StepResult(handover=handover, changed=False)
    _apply(handover, target, at=at, by=by)
    if target is HandoverStatus.collected:
        handover.collected_via = via.value if via is not None else None
    if target is HandoverStatus.resolved and note:
        handover.resolution = note
    if target in OFF_STREET:
        _close_case(db, handover, at)
    kind = EventKind(target.value)
    event = record_event(db, handover, kind, at=at, actor=by, note=note)
    return StepResult(handover=handover, changed=True, events=[event])


def answer(
    db: Session,
    *,
    scope: Scope,
    handover_id: int,
    action: HandoverAction,
    via: CollectedVia,
    note: str = "",
    now: datetime | None = None,
) -> Handover:
    """A company's answer (acknowledge, collect, resolve) to one of its handovers."""
    row = get_or_raise(db, scope=scope, handover_id=handover_id)
    handover = row.handover
    _editable(scope, handover)
    # Staff answering for a company (a phone call) is recorded as staff, not as the company.
    via = via if scope.company_id is not None else CollectedVia.staff
    before = handover.status
    result = step(
        db,
        handover=handover,
        target=STEP_TO[action],
        by=scope.username,
        at=now or utcnow(),
        via=via,
        note=note.strip(),
    )
    if result.changed:
        audit.record(
            db, actor=scope.actor, action=f"damage_handover.{action.value}",
            entity_type="damage_handover", entity_id=handover.id, city_id=handover.city_id,
            before={"status": str(before)},
            after={"status": str(handover.status), "via": via.value, "note": note.strip()},
        )  # fmt: skip
    db.flush()
    return handover


def cancel(
    db: Session, *, scope: Scope, handover_id: int, note: str, now: datetime | None = None
) -> Handover:
    """Withdraw a handover (a wrong report): the company hears of it, the case closes."""
    require_editor(scope)
    handover = get_or_raise(db, scope=scope, handover_id=handover_id).handover
    if handover.status in OFF_STREET:
        raise Conflict(f"handover {handover.reference} is already {handover.status}")
    at = now or utcnow()
    before = handover.status
    handover.status = HandoverStatus.cancelled
    handover.cancelled_at, handover.cancelled_by = at, scope.username
    handover.updated_at = at
    _close_case(db, handover, at)
    record_event(db, handover, EventKind.cancelled, at=at, actor=scope.username, note=note.strip())
    audit.record(
        db, actor=scope.actor, action="damage_handover.cancel", entity_type="damage_handover",
        entity_id=handover.id, city_id=handover.city_id, before={"status": str(before)},
        after={"status": "cancelled", "note": note.strip()},
    )  # fmt: skip
    db.flush()
    return handover


def confirm_collected(
    db: Session, *, handover: Handover, via: CollectedVia, at: datetime, evidence: str
) -> bool:
    """Mark a handover collected from the company's own data (its feed or MDS events)."""
    result = step(
        db, handover=handover, target=HandoverStatus.collected, by=f"{via.value}", at=at, via=via,
        note=evidence,
    )  # fmt: skip
    return result.changed


def escalate(db: Session, *, city_id: int, now: datetime) -> list[Handover]:
    """Mark newly overdue handovers escalated (once each); the delivery job tells supervisors."""
    stmt = select(Handover).where(
        Handover.city_id == city_id, *overdue_clauses(now), Handover.escalated_at.is_(None)
    )
    found = list(db.scalars(stmt.order_by(Handover.due_at)))
    for handover in found:
        handover.escalated_at = now
        late = now - handover.due_at
        record_event(
            db, handover, EventKind.escalated, at=now, actor="Tartip",
            note=f"not collected {late.total_seconds() / 3600:.1f} h after it was due",
        )  # fmt: skip
    db.flush()
    return found


def company_by_slug(db: Session, *, scope: Scope, slug: str) -> Company:
    """A company of the caller's city by slug (a representative: only their own)."""
    company = cities_service.get_company(db, city_id=scope.city_id, slug=slug)
    if company is None or (scope.company_id is not None and company.id != scope.company_id):
        raise NotFound(f"no company {slug!r} in this city")
    return company
