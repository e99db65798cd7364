"""A city's due times for complaints: its own rules over the defaults (``due.py``), and the
due time of a complaint from them and the city's field hours."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints import due
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import ComplaintCategory, ComplaintSource, DueClock
from tartip.complaints.models import Complaint, ComplaintDueTime
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, Problem


def overrides(db: Session, *, city_id: int) -> dict[tuple[str, str], due.DueRule]:
    """A city's own due times, by (category, source)."""
    stmt = select(ComplaintDueTime).where(ComplaintDueTime.city_id == city_id)
    return {(r.category, r.source): due.DueRule(r.hours, r.clock) for r in db.scalars(stmt)}


def due_for(db: Session, *, city: City, complaint: Complaint, config: ComplaintConfig) -> datetime:
    """When a complaint is due, from the city's rules and field hours."""
    rule = due.pick_rule(
        complaint.category, complaint.source, overrides(db, city_id=city.id)
    )  # fmt: skip
    hours = due.ServiceHours.parse(config.service_start, config.service_end, city.timezone)
    return due.due_at(complaint.received_at, rule, hours)


def set_due_time(
    db: Session,
    *,
    scope: Scope,
    category: str,
    source: str,
    hours: float | None,
    clock: DueClock,
) -> ComplaintDueTime | None:
    """Set (or with ``hours`` None remove) a city's due time for a category and source."""
    scope.require(Role.admin)
    problems = []
    if category != due.ANY and category not in {c.value for c in ComplaintCategory}:
        problems.append(Problem("category", f"unknown category {category!r}"))
    if source != due.ANY and source not in {s.value for s in ComplaintSource}:
        problems.append(Problem("source", f"unknown source {source!r}"))
    if problems:
        raise InvalidInput("not a category and source", problems=problems)
    row = db.scalars(
        select(ComplaintDueTime).where(
            ComplaintDueTime.city_id == scope.city_id,
            ComplaintDueTime.category == category,
            ComplaintDueTime.source == source,
        )
    ).first()
    before = {"hours": row.hours, "clock": str(row.clock)} if row else None
    if hours is None:
        if row is not None:
            db.delete(row)
    else:
        if row is None:
            row = ComplaintDueTime(city_id=scope.city_id, category=category, source=source)
            db.add(row)
        row.hours, row.clock = hours, clock
        row.updated_by, row.updated_at = scope.username, utcnow()
    db.flush()
    audit.record(
        db, actor=scope.actor, action="complaint.due_time", entity_type="complaint_due_time",
        entity_id=f"{category}/{source}", city_id=scope.city_id, before=before,
        after={"hours": hours, "clock": str(clock)} if hours is not None else None,
    )  # fmt: skip
    return row if hours is not None else None
