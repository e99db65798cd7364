"""The webhook delivery log: every delivery with its attempts, and "send again".

Supervisors and admins see every company's; a company representative sees their own company's
(its body holds nothing of anyone else's), and may send one again once its receiver works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, NotFound
from tartip.damage.enums import DeliveryStatus
from tartip.damage.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _log_scope(scope: Scope) -> None:
    if scope.company_id is None and scope.role not in (Role.admin, Role.supervisor):
        raise Forbidden("only supervisors, admins and the company itself see webhook deliveries")


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery with its company, endpoint URL and attempts."""

    delivery: WebhookDelivery
    company: Company
    url: str
    attempts: list[WebhookAttempt]


def list_deliveries(
    db: Session,
    *,
    scope: Scope,
    status: DeliveryStatus | None = None,
    company: str | None = None,
    handover_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[DeliveryRow], int]:
    """Webhook deliveries in the caller's scope, newest first, with their attempts."""
    _log_scope(scope)
    clauses = [WebhookDelivery.city_id == scope.city_id]
    if scope.company_id is not None:
        clauses.append(WebhookDelivery.company_id == scope.company_id)
    if status is not None:
        clauses.append(WebhookDelivery.status == status)
    if company:
        clauses.append(Company.slug == company)
    if handover_id is not None:
        clauses.append(WebhookDelivery.handover_id == handover_id)
    base = (
        select(WebhookDelivery, Company, WebhookEndpoint.url)
        .join(Company, Company.id == WebhookDelivery.company_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(*clauses)
    )
    total = db.scalar(select(func.count()).select_from(base.subquery()))
    found = db.execute(base.order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit)).all()
    ids = [d.id for d, _c, _u in found]
    by_delivery: dict[int, list[WebhookAttempt]] = {}
    if ids:
        stmt = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids))
        for attempt in db.scalars(stmt.order_by(WebhookAttempt.id)):
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    rows = [DeliveryRow(d, c, url, by_delivery.get(d.id, [])) for d, c, url in found]
    return rows, int(total or 0)


def redeliver(
    db: Session, *, scope: Scope, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again (the same id and body), at the next run of the delivery job."""
    _log_scope(scope)
    delivery = db.get(WebhookDelivery, delivery_id)
    if (
        delivery is None
        or delivery.city_id != scope.city_id
        or (scope.company_id is not None and delivery.company_id != scope.company_id)
    ):
        raise NotFound(f"no webhook delivery {delivery_id}")
    before = {"status": str(delivery.status), "attempts": delivery.attempts}
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = now or utcnow()
    audit.record(
        db, actor=scope.actor, action="damage_webhook.redeliver", entity_type="damage_delivery",
        entity_id=delivery.id, city_id=delivery.city_id, before=before,
        after={"status": "pending"},
    )  # fmt: skip
    db.flush()
    return delivery
