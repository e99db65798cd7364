"""Receiving a complaint, and routing it at once when the city routes automatically.

Every way in (the public form, staff's entry, the API of bodies and companies) goes through
``receive``: the complaint is stored and matched, its photos attached, and then, if the city's
policy says so, sent on without waiting for a supervisor:

- a place-fixable complaint (badly parked, blocking a passage) becomes a scout's task;
- a damaged-vehicle complaint with exactly one vehicle found goes to the damage desk, which hands
  the vehicle to its company (with none or several found, a scout goes to look instead);
- the companies the matched vehicles belong to get the case in their portal (left *suggested*:
  nobody has confirmed them yet);
- a complaint about riders (dangerous riding, minors, two riders, other) waits for staff: the
  vehicle ridden is on a trip and absent from the feed, so the vehicles matched there are
  bystanders and the company is a guess only a person should make.

Staff can still re-route, confirm or remove companies, and close it. The routing step and its
audit entry are written by ``AUTO_LABEL`` and say ``"automatic": true``. Routing never refuses a
complaint: if it cannot be routed, it waits for staff as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints import matches, policy, routing
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    PLACE_FIXABLE,
    ComplaintCategory,
    ComplaintStatus,
    MatchState,
)
from tartip.complaints.models import Complaint
from tartip.complaints.schemas import ComplaintCreate
from tartip.core.errors import TartipError

log = logging.getLogger(__name__)

# Who routed it, as the history, the task and the audit trail show it.
AUTO_LABEL = "Tartip (automatic routing)"


@dataclass(frozen=True)
class RoutePlan:
    """Where a new complaint goes by itself."""

    task: bool = False
    damage: bool = False
    companies: bool = False

    @property
    def anything(self) -> bool:
        """Whether the complaint goes anywhere."""
        return self.task or self.damage or self.companies


def plan(db: Session, *, complaint: Complaint) -> RoutePlan:
    """Where a new complaint goes without a person: see the module's docstring."""
    category = ComplaintCategory(complaint.category)
    if category not in PLACE_FIXABLE:
        return RoutePlan()
    vehicles = [
        v
        for v in matches.vehicles_of(db, complaint_id=complaint.id)
        if v.state != MatchState.rejected
    ]
    companies = any(
        c.state != MatchState.rejected for c in matches.companies_of(db, complaint_id=complaint.id)
    )
    to_damage = category is ComplaintCategory.damaged_vehicle and len(vehicles) == 1
    return RoutePlan(task=not to_damage, damage=to_damage, companies=companies)


def system_scope(city_id: int) -> Scope:
    """The scope automatic routing acts in: the operator's desk, without a person."""
    return Scope(user_id=None, username=AUTO_LABEL, role=Role.supervisor, city_id=city_id)


def route_new(db: Session, *, complaint: Complaint) -> list[str]:
    """Send a just-received complaint where its plan says; returns what was done (empty when it
    waits for staff). A refusal on the way leaves it untouched, waiting for staff."""
    if complaint.status != ComplaintStatus.received:
        return []
    chosen = plan(db, complaint=complaint)
    if not chosen.anything:
        return []
    scope = system_scope(complaint.city_id)
    before = complaints.summary(complaint)
    try:
        with db.begin_nested():
            routed = routing.send(
                db, scope=scope, complaint=complaint, task=chosen.task, damage=chosen.damage,
                companies=chosen.companies, automatic=True,
            )  # fmt: skip
    except TartipError as exc:
        log.warning("complaint %s was not routed automatically: %s", complaint.reference, exc)
        db.refresh(complaint)
        return []
    audit.record(
        db, actor=scope.actor, action="complaint.route", entity_type="complaint",
        entity_id=complaint.reference, city_id=complaint.city_id, before=before,
        after={**complaints.summary(complaint), "routed": routed, "automatic": True},
    )  # fmt: skip
    return routed


def receive(
    db: Session,
    *,
    scope: Scope | None,
    city: City,
    data: ComplaintCreate,
    config: ComplaintConfig,
    photos: Sequence[bytes] = (),
    now: datetime | None = None,
) -> Complaint:
    """Receive a complaint (``complaints.service.create``) with its photos, and route it at once
    when the city routes automatically. A repeated ``external_ref`` returns the first complaint
    as it is, routed or not."""
    first = complaints.earlier(db, scope=scope, city=city, external_ref=data.external_ref)
    if first is not None:
        return first
    complaint = complaints.create(db, scope=scope, city=city, data=data, config=config, now=now)
    for content in photos:
        complaints.add_photo(db, scope=scope, complaint=complaint, data=content, config=config)
    if policy.auto_route_on(db, city_id=city.id):
        route_new(db, complaint=complaint)
    return complaint
