"""Who sees which complaints, and reading them in the caller's scope.

- admins and supervisors: every complaint of their city, with the complainant's contact;
- city viewers: every complaint, read-only, without contact;
- a company representative: the complaints routed to their company (and not taken off it), and
  those their company filed; never another company's vehicles, nor any contact;
- a government body's or the police's account: what it filed itself;
- scouts and technicians: none here (their task carries the reference).

A complaint outside the scope is ``NotFound``, so a reference cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from tartip.auth.enums import INTAKE_ROLES, Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.complaints.enums import (
    OPEN,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    MatchState,
)
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, NotFound

READ_ALL = frozenset({Role.admin, Role.supervisor, Role.city_viewer})
EDITORS = (Role.supervisor,)  # and admins
CONTACT_READERS = frozenset({Role.admin, Role.supervisor})


def sees_contact(scope: Scope) -> bool:
    """Whether the caller may read complainants' contact details."""
    return scope.role in CONTACT_READERS and scope.company_id is None


def sees_all_companies(scope: Scope) -> bool:
    """Whether the caller sees every company's vehicles on a complaint."""
    return scope.company_id is None and scope.role in READ_ALL


def can_edit(scope: Scope) -> bool:
    """Whether the caller handles complaints (supervisors, admins)."""
    return scope.company_id is None and scope.role in (Role.admin, Role.supervisor)


def require_editor(scope: Scope) -> None:
    """Refuse anyone but supervisors and admins."""
    if not can_edit(scope):
        raise Forbidden("only supervisors and admins handle complaints")


def _routed_to(company_id: int) -> ColumnElement[bool]:
    routed = select(ComplaintCompany.complaint_id).where(
        ComplaintCompany.company_id == company_id,
        ComplaintCompany.routed_at.is_not(None),
        ComplaintCompany.state != MatchState.rejected,
    )
    return Complaint.id.in_(routed)


def scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """What the caller may see of the complaint table."""
    clauses: list[ColumnElement[bool]] = [Complaint.city_id == scope.city_id]
    if scope.company_id is not None:
        filed = and_(
            Complaint.source == ComplaintSource.company,
            Complaint.filed_by_user_id == scope.user_id,
        )
        clauses.append(or_(_routed_to(scope.company_id), filed))
    elif scope.role in READ_ALL:
        pass
    elif scope.role in INTAKE_ROLES and scope.user_id is not None:
        clauses.append(Complaint.filed_by_user_id == scope.user_id)
    else:
        clauses.append(false())
    return clauses


def get(db: Session, *, scope: Scope, reference: str) -> Complaint | None:
    """The complaint with this reference, if the caller may see it."""
    stmt = select(Complaint).where(Complaint.reference == reference.strip().upper())
    return db.scalars(stmt.where(*scope_clauses(scope))).first()


def get_or_raise(db: Session, *, scope: Scope, reference: str) -> Complaint:
    """The complaint with this reference, or ``NotFound`` (also outside the caller's scope)."""
    found = get(db, scope=scope, reference=reference)
    if found is None:
        raise NotFound(f"no complaint {reference!r}")
    return found


def get_public(db: Session, *, city_id: int, reference: str) -> Complaint | None:
    """The complaint with this reference, for its public status page (no scope: no login)."""
    stmt = select(Complaint).where(
        Complaint.city_id == city_id, Complaint.reference == reference.strip().upper()
    )
    return db.scalars(stmt).first()


@dataclass(frozen=True)
class ComplaintFilter:
    """Which complaints a list covers; empty tuples and None mean "any"."""

    statuses: tuple[ComplaintStatus, ...] = ()
    sources: tuple[ComplaintSource, ...] = ()
    categories: tuple[ComplaintCategory, ...] = ()
    company: str | None = None
    zone_id: int | None = None
    overdue_only: bool = False
    open_only: bool = False
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""


def overdue_clause(at: datetime) -> ColumnElement[bool]:
    """Complaints still open after their due time."""
    return and_(Complaint.status.in_([s.value for s in OPEN]), Complaint.due_at < at)


def filter_clauses(
    db: Session, *, scope: Scope, filters: ComplaintFilter, at: datetime
) -> list[ColumnElement[bool]]:
    """The scope's clauses and the filters'."""
    clauses = scope_clauses(scope) + _kind_clauses(filters)
    if filters.overdue_only:
        clauses.append(overdue_clause(at))
    if filters.since is not None:
        clauses.append(Complaint.received_at >= filters.since)
    if filters.until is not None:
        clauses.append(Complaint.received_at < filters.until)
    if filters.search.strip():
        clauses.append(Complaint.reference.like(f"%{filters.search.strip().upper()}%"))
    if filters.company:
        company = cities_service.get_company(db, city_id=scope.city_id, slug=filters.company)
        allowed = scope.visible_company_ids([company.id] if company else [-1])
        concerned = select(ComplaintCompany.complaint_id).where(
            ComplaintCompany.company_id.in_(allowed or [-1]),
            ComplaintCompany.state != MatchState.rejected,
        )
        clauses.append(Complaint.id.in_(concerned))
    return clauses


def _kind_clauses(filters: ComplaintFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.statuses:
        clauses.append(Complaint.status.in_([s.value for s in filters.statuses]))
    if filters.open_only:
        clauses.append(Complaint.status.in_([s.value for s in OPEN]))
    if filters.sources:
        clauses.append(Complaint.source.in_([s.value for s in filters.sources]))
    if filters.categories:
        clauses.append(Complaint.category.in_([c.value for c in filters.categories]))
    if filters.zone_id is not None:
        clauses.append(Complaint.zone_id == filters.zone_id)
    return clauses


def list_complaints(
    db: Session,
    *,
    scope: Scope,
    filters: ComplaintFilter,
    offset: int = 0,
    limit: int = 100,
    at: datetime | None = None,
) -> tuple[list[Complaint], int]:
    """Complaints in the caller's scope: open ones most urgent first, then the newest."""
    now = at or utcnow()
    clauses = filter_clauses(db, scope=scope, filters=filters, at=now)
    total = db.scalar(select(func.count()).select_from(Complaint).where(*clauses)) or 0
    is_open = Complaint.status.in_([s.value for s in OPEN])
    stmt = (
        select(Complaint)
        .where(*clauses)
        .order_by(
            is_open.desc(),
            # Open ones by due time; closed ones (all NULL here) fall through to the newest first.
            case((is_open, Complaint.due_at), else_=None),
            Complaint.received_at.desc(),
            Complaint.id.desc(),
        )
        .offset(offset)
        .limit(limit)
    )
    return list(db.scalars(stmt)), int(total)
