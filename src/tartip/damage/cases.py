"""Damage cases as the operator's staff see them: every case, handed over or still waiting.

A case waits for a handover only when nobody could tell whose vehicle it is (a code that no feed
and no company prefix matched). A supervisor then names the company and hands it over here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, NotFound
from tartip.damage import intake, service
from tartip.damage.enums import DamageSource, HandoverStatus
from tartip.damage.models import CasePhoto, DamageCase, Handover

AWAITING = "awaiting"  # the list filter for cases not handed over yet


@dataclass(frozen=True)
class CaseFilter:
    """What the staff's list of cases is narrowed to."""

    status: str | None = None  # a HandoverStatus value, or AWAITING
    company: str | None = None
    source: DamageSource | None = None
    overdue: bool = False
    open_only: bool = False


@dataclass(frozen=True)
class CaseRow:
    """A case with its company and handover (either may be missing)."""

    case: DamageCase
    company: Company | None
    handover: Handover | None


def require_staff(scope: Scope) -> None:
    """Raise ``Forbidden`` unless the caller is the operator's staff (or a city viewer)."""
    if scope.company_id is not None:
        raise Forbidden("company representatives see their handovers in the portal")
    service.require_viewer(scope)


def _rows() -> Select[DamageCase, Company, Handover]:
    """Cases with their company and handover (``CaseRow``'s parts; either may be missing)."""
    return (
        select(DamageCase, Company, Handover)
        .outerjoin(Company, Company.id == DamageCase.company_id)
        .outerjoin(Handover, Handover.case_id == DamageCase.id)
    )


def _clauses(scope: Scope, filters: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [DamageCase.city_id == scope.city_id]
    if filters.status == AWAITING:
        clauses.append(Handover.id.is_(None))
    elif filters.status:
        clauses.append(Handover.status == HandoverStatus(filters.status).value)
    if filters.company:
        clauses.append(Company.slug == filters.company)
    if filters.source is not None:
        clauses.append(service.reported_from(filters.source, DamageCase.id))
    if filters.overdue:
        clauses += service.overdue_clauses(now)
    if filters.open_only:
        clauses.append(or_(DamageCase.closed_at.is_(None), Handover.id.is_(None)))
    return clauses


def list_cases(
    db: Session,
    *,
    scope: Scope,
    filters: CaseFilter,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[list[CaseRow], int]:
    """Cases matching the filters, newest report first, and how many match in all."""
    require_staff(scope)
    clauses = _clauses(scope, filters, now or utcnow())
    base = _rows().where(*clauses)
    total = db.scalar(select(func.count()).select_from(base.subquery()))
    stmt = base.order_by(DamageCase.last_reported_at.desc(), DamageCase.id.desc())
    rows = [CaseRow(c, co, h) for c, co, h in db.execute(stmt.offset(offset).limit(limit)).all()]
    return rows, int(total or 0)


def get_case_or_raise(db: Session, *, scope: Scope, case_id: int) -> CaseRow:
    """One case (staff only), or ``NotFound``."""
    require_staff(scope)
    found = db.execute(
        _rows().where(DamageCase.id == case_id, DamageCase.city_id == scope.city_id)
    ).first()
    if found is None:
        raise NotFound(f"no damage case {case_id}")
    return CaseRow(*found)


def photos(db: Session, *, case_id: int) -> list[CasePhoto]:
    """A case's photos, oldest first."""
    stmt = select(CasePhoto).where(CasePhoto.case_id == case_id).order_by(CasePhoto.id)
    return list(db.scalars(stmt))


def visible_photo_or_raise(db: Session, *, scope: Scope, photo_id: int) -> CasePhoto:
    """A photo the caller may see: staff any of the city's, a company those of its handovers."""
    service.require_viewer(scope)
    photo = db.get(CasePhoto, photo_id)
    if photo is None or photo.city_id != scope.city_id:
        raise NotFound(f"no photo {photo_id}")
    if scope.company_id is not None:
        owner = db.scalar(select(Handover.company_id).where(Handover.case_id == photo.case_id))
        if owner != scope.company_id:
            raise NotFound(f"no photo {photo_id}")
    return photo


def hand_over_case(
    db: Session, *, scope: Scope, case_id: int, company: Company, now: datetime | None = None
) -> Handover:
    """Name a waiting case's company and hand it over (a supervisor's call)."""
    service.require_editor(scope)
    row = get_case_or_raise(db, scope=scope, case_id=case_id)
    case = row.case
    if row.handover is not None:
        raise Conflict(f"case {case.id} is already handed over as {row.handover.reference}")
    if case.closed_at is not None:
        raise Conflict(f"case {case.id} is closed")
    key = intake.case_key(company.id, case.vehicle_code)
    other = intake.open_case(db, city_id=case.city_id, key=key)
    if other is not None and other.id != case.id:
        raise Conflict(f"{company.name} already has an open case for this vehicle: case {other.id}")
    before = {"company_id": case.company_id}
    case.company_id, case.key, case.open_key = company.id, key, key
    handover = service.hand_over(
        db, case=case, company_id=company.id, actor=scope.username, at=now or utcnow()
    )
    audit.record(
        db, actor=scope.actor, action="damage_case.hand_over", entity_type="damage_case",
        entity_id=case.id, city_id=case.city_id, before=before,
        after={"company": company.slug, "handover": handover.reference},
    )  # fmt: skip
    return handover
