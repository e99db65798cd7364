"""Handover batches: vehicles given to one company together, and the act both sides sign.

A supervisor picks a company's handovers that are in no batch yet and writes down who hands them
over and who receives them; the act lists each vehicle with its photos, place and times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.damage import service
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import Handover, HandoverBatch
from tartip.damage.service import HandoverFilter, HandoverRow


def batch_reference(batch_id: int) -> str:
    """The act's number."""
    return f"DA-{batch_id:05d}"


def create_batch(
    db: Session,
    *,
    scope: Scope,
    company: Company,
    handover_ids: Sequence[int],
    handed_over_by: str,
    received_by: str,
    note: str = "",
) -> HandoverBatch:
    """Put a company's unbatched handovers into a new batch (its act)."""
    service.require_editor(scope)
    wanted = sorted(set(handover_ids))
    if not wanted:
        message = "choose at least one handover"
        raise InvalidInput(message, problems=[Problem("handover_ids", message)])
    rows = [service.get_or_raise(db, scope=scope, handover_id=i) for i in wanted]
    for row in rows:
        h = row.handover
        if h.company_id != company.id:
            raise Conflict(f"handover {h.reference} belongs to another company")
        if h.batch_id is not None:
            raise Conflict(f"handover {h.reference} is already in an act")
        if h.status == HandoverStatus.cancelled:
            raise Conflict(f"handover {h.reference} was withdrawn")
    batch = HandoverBatch(
        city_id=scope.city_id,
        company_id=company.id,
        reference=f"tmp-{utcnow().timestamp():.6f}",
        created_at=utcnow(),
        created_by=scope.username,
        handed_over_by=handed_over_by.strip()[:200] or scope.username,
        received_by=received_by.strip()[:200],
        note=note.strip(),
    )
    db.add(batch)
    db.flush()
    batch.reference = batch_reference(batch.id)
    for row in rows:
        row.handover.batch_id = batch.id
    audit.record(
        db, actor=scope.actor, action="damage_batch.create", entity_type="damage_batch",
        entity_id=batch.id, city_id=scope.city_id,
        after={"company": company.slug, "handovers": [r.handover.reference for r in rows],
               "handed_over_by": batch.handed_over_by, "received_by": batch.received_by},
    )  # fmt: skip
    db.flush()
    return batch


@dataclass(frozen=True)
class BatchView:
    """A batch with its company and handovers (for the act)."""

    batch: HandoverBatch
    company: Company
    rows: list[HandoverRow]


def get_batch_or_raise(db: Session, *, scope: Scope, batch_id: int) -> BatchView:
    """One batch in the caller's scope (a company sees its own acts), or ``NotFound``."""
    service.require_viewer(scope)
    found = db.execute(
        select(HandoverBatch, Company)
        .join(Company, Company.id == HandoverBatch.company_id)
        .where(HandoverBatch.id == batch_id, HandoverBatch.city_id == scope.city_id)
    ).first()
    if found is None or (scope.company_id is not None and found[1].id != scope.company_id):
        raise NotFound(f"no handover act {batch_id}")
    batch, company = found
    page = service.list_handovers(
        db, scope=scope, filters=HandoverFilter(batch_id=batch.id), limit=1000
    )
    return BatchView(batch=batch, company=company, rows=list(reversed(page.rows)))


@dataclass(frozen=True)
class BatchSummary:
    """A batch in a list: its company and how many vehicles it holds."""

    batch: HandoverBatch
    company: Company
    vehicles: int


def list_batches(db: Session, *, scope: Scope, limit: int = 100) -> list[BatchSummary]:
    """Batches in the caller's scope, newest first."""
    service.require_viewer(scope)
    counted = (
        select(Handover.batch_id, func.count().label("n"))
        .where(Handover.batch_id.is_not(None))
        .group_by(Handover.batch_id)
        .subquery()
    )
    stmt = (
        select(HandoverBatch, Company, counted.c.n)
        .join(Company, Company.id == HandoverBatch.company_id)
        .outerjoin(counted, counted.c.batch_id == HandoverBatch.id)
        .where(HandoverBatch.city_id == scope.city_id)
    )
    if scope.company_id is not None:
        stmt = stmt.where(HandoverBatch.company_id == scope.company_id)
    found = db.execute(stmt.order_by(HandoverBatch.id.desc()).limit(limit)).all()
    return [BatchSummary(b, c, int(n or 0)) for b, c, n in found]
