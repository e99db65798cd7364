"""A city's complaints policy: whether new complaints are routed automatically.

Automatic routing is a city's choice, not the app's: one city wants a supervisor to look at every
complaint first, another (the demo city) wants a blocked pavement cleared without waiting for a
click. Admins switch it on ``/complaints`` or through ``PUT /api/v1/complaints/policy``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.complaints.models import ComplaintPolicy
from tartip.core.clock import utcnow

DEFAULT_AUTO_ROUTE = False


def get(db: Session, *, city_id: int) -> ComplaintPolicy | None:
    """The city's policy row, if one was ever saved."""
    stmt = select(ComplaintPolicy).where(ComplaintPolicy.city_id == city_id)
    return db.scalars(stmt).first()


def auto_route_on(db: Session, *, city_id: int) -> bool:
    """Whether the city routes new complaints without a person's click."""
    row = get(db, city_id=city_id)
    return DEFAULT_AUTO_ROUTE if row is None else bool(row.auto_route)


def ensure(db: Session, *, city_id: int, auto_route: bool, by: str) -> ComplaintPolicy:
    """The city's policy row, made with ``auto_route`` when it has none (seeding; no audit)."""
    row = get(db, city_id=city_id)
    if row is None:
        row = ComplaintPolicy(city_id=city_id, auto_route=auto_route, updated_by=by)
        db.add(row)
        db.flush()
    return row


def set_auto_route(db: Session, *, scope: Scope, auto_route: bool) -> ComplaintPolicy:
    """Switch automatic routing on or off for the caller's city (admins)."""
    scope.require(Role.admin)
    row = get(db, city_id=scope.city_id)
    before = {"auto_route": row.auto_route} if row is not None else None
    if row is None:
        row = ComplaintPolicy(city_id=scope.city_id)
        db.add(row)
    row.auto_route = auto_route
    row.updated_by, row.updated_at = scope.username, utcnow()
    db.flush()
    audit.record(
        db, actor=scope.actor, action="complaint.policy", entity_type="complaint_policy",
        entity_id=scope.city_id, city_id=scope.city_id, before=before,
        after={"auto_route": auto_route},
    )  # fmt: skip
    return row
