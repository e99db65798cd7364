"""Writing and reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user's key and a label that stays readable if the user is deleted."""

    user_id: int | None
    label: str


def record(
    db: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int,
    city_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction."""
    entry = AuditEntry(
        actor_user_id=actor.user_id,
        actor=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        city_id=city_id,
        before=before,
        after=after,
    )
    db.add(entry)
    return entry


def list_entries(
    db: Session, *, city_id: int | None, entity_type: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest audit entries of a city (all cities when ``city_id`` is None)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if city_id is not None:
        stmt = stmt.where(AuditEntry.city_id == city_id)
    if entity_type is not None:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    return list(db.scalars(stmt))
