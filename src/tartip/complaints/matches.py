"""Vehicles and companies on a complaint: what matching found, and staff's corrections.

Matching (``matching.py``) suggests the vehicles that stood at the place around the time; the
companies follow the vehicles (one link per company with a vehicle not rejected). Staff confirm or
reject either, or add one; a re-match adds what is new and keeps every decision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.complaints import access, matching
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import MatchOrigin, MatchState
from tartip.complaints.models import Complaint, ComplaintCompany, ComplaintVehicle
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, NotFound, Problem


def vehicles_of(db: Session, *, complaint_id: int) -> list[ComplaintVehicle]:
    """A complaint's matched vehicles, nearest first."""
    return vehicles_of_each(db, complaint_ids=[complaint_id]).get(complaint_id, [])


def vehicles_of_each(db: Session, *, complaint_ids: list[int]) -> dict[int, list[ComplaintVehicle]]:
    """Each complaint's matched vehicles, nearest first (one query for a page of complaints)."""
    found: dict[int, list[ComplaintVehicle]] = {}
    if not complaint_ids:
        return found
    stmt = select(ComplaintVehicle).where(ComplaintVehicle.complaint_id.in_(complaint_ids))
    for v in db.scalars(stmt):
        found.setdefault(v.complaint_id, []).append(v)
    for rows in found.values():
        rows.sort(key=lambda v: (v.distance_m is None, v.distance_m or 0.0, v.id))
    return found


def companies_of(db: Session, *, complaint_id: int) -> list[ComplaintCompany]:
    """The companies a complaint concerns."""
    return companies_of_each(db, complaint_ids=[complaint_id]).get(complaint_id, [])


def companies_of_each(
    db: Session, *, complaint_ids: list[int]
) -> dict[int, list[ComplaintCompany]]:
    """The companies each complaint concerns (one query for a page of complaints)."""
    found: dict[int, list[ComplaintCompany]] = {}
    if not complaint_ids:
        return found
    stmt = select(ComplaintCompany).where(ComplaintCompany.complaint_id.in_(complaint_ids))
    for link in db.scalars(stmt.order_by(ComplaintCompany.id)):
        found.setdefault(link.complaint_id, []).append(link)
    return found


def match_vehicles(
    db: Session, *, complaint: Complaint, config: ComplaintConfig, now: datetime | None = None
) -> int:
    """Find the vehicles at the place and time; staff's decisions are kept. Returns how many
    new vehicles were found."""
    found = matching.find(
        db, city_id=complaint.city_id, lon=complaint.lon, lat=complaint.lat,
        at=complaint.occurred_at, now=now or utcnow(), params=config.match,
    )  # fmt: skip
    known = {(v.company_id, v.vehicle_id): v for v in vehicles_of(db, complaint_id=complaint.id)}
    added = 0
    for m in found:
        row = known.get((m.company_id, m.vehicle_id))
        if row is None:
            db.add(
                ComplaintVehicle(
                    city_id=complaint.city_id,
                    complaint_id=complaint.id,
                    company_id=m.company_id,
                    vehicle_id=m.vehicle_id,
                    lon=m.lon,
                    lat=m.lat,
                    distance_m=m.distance_m,
                    seen_at=m.seen_at,
                    origin=m.origin,
                    state=MatchState.suggested,
                )  # fmt: skip
            )
            added += 1
    db.flush()
    sync_companies(db, complaint=complaint)
    return added


def sync_companies(db: Session, *, complaint: Complaint, by: str = "") -> None:
    """The companies follow the vehicles: one link per company with a vehicle not rejected."""
    vehicles = vehicles_of(db, complaint_id=complaint.id)
    links = {c.company_id: c for c in companies_of(db, complaint_id=complaint.id)}
    kept: dict[int, MatchOrigin] = {}
    for v in vehicles:
        if v.state != MatchState.rejected:
            kept.setdefault(v.company_id, MatchOrigin(v.origin))
    for company_id, origin in kept.items():
        link = links.get(company_id)
        if link is None:
            db.add(
                ComplaintCompany(
                    city_id=complaint.city_id,
                    complaint_id=complaint.id,
                    company_id=company_id,
                    origin=origin,
                    state=MatchState.suggested,
                    decided_by=by,
                )  # fmt: skip
            )
    for company_id, link in links.items():
        only_rejected = company_id not in kept and any(v.company_id == company_id for v in vehicles)
        if only_rejected and link.state == MatchState.suggested and link.routed_at is None:
            link.state, link.decided_by = MatchState.rejected, by
    db.flush()


def _company(db: Session, *, city_id: int, slug: str) -> Company:
    company = cities_service.get_company(db, city_id=city_id, slug=slug)
    if company is None:
        raise InvalidInput("unknown company", problems=[Problem("company", f"{slug!r}")])
    return company


def decide_vehicle(
    db: Session, *, scope: Scope, reference: str, action: str, company: str, vehicle_id: str
) -> ComplaintVehicle:
    """Confirm or reject a matched vehicle, or add one staff found (by its code)."""
    access.require_editor(scope)
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    owner = _company(db, city_id=complaint.city_id, slug=company)
    row = db.scalars(
        select(ComplaintVehicle).where(
            ComplaintVehicle.complaint_id == complaint.id,
            ComplaintVehicle.company_id == owner.id,
            ComplaintVehicle.vehicle_id == vehicle_id.strip(),
        )
    ).first()
    before = {"state": str(row.state)} if row else None
    if row is None:
        if action != "add":
            raise NotFound(f"vehicle {vehicle_id!r} of {company} is not on this complaint")
        row = ComplaintVehicle(
            city_id=complaint.city_id, complaint_id=complaint.id, company_id=owner.id,
            vehicle_id=vehicle_id.strip(), origin=MatchOrigin.staff,
        )  # fmt: skip
        db.add(row)
    row.state = MatchState.rejected if action == "reject" else MatchState.confirmed
    row.decided_by, row.decided_at = scope.username, utcnow()
    db.flush()
    sync_companies(db, complaint=complaint, by=scope.username)
    audit.record(
        db, actor=scope.actor, action=f"complaint.vehicle.{action}",
        entity_type="complaint", entity_id=complaint.reference, city_id=complaint.city_id,
        before=before, after={"company": owner.slug, "vehicle_id": row.vehicle_id,
                              "state": str(row.state)},
    )  # fmt: skip
    return row


def decide_company(
    db: Session, *, scope: Scope, reference: str, action: str, company: str
) -> ComplaintCompany:
    """Confirm, add or remove a company the complaint concerns."""
    access.require_editor(scope)
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    owner = _company(db, city_id=complaint.city_id, slug=company)
    link = db.scalars(
        select(ComplaintCompany).where(
            ComplaintCompany.complaint_id == complaint.id,
            ComplaintCompany.company_id == owner.id,
        )
    ).first()
    before = {"state": str(link.state)} if link else None
    if link is None:
        if action == "remove":
            raise NotFound(f"{company} is not on this complaint")
        link = ComplaintCompany(
            city_id=complaint.city_id, complaint_id=complaint.id, company_id=owner.id,
            origin=MatchOrigin.staff,
        )  # fmt: skip
        db.add(link)
    link.state = MatchState.rejected if action == "remove" else MatchState.confirmed
    link.decided_by = scope.username
    db.flush()
    audit.record(
        db, actor=scope.actor, action=f"complaint.company.{action}",
        entity_type="complaint", entity_id=complaint.reference, city_id=complaint.city_id,
        before=before, after={"company": owner.slug, "state": str(link.state)},
    )  # fmt: skip
    return link


def rematch(db: Session, *, scope: Scope, reference: str, config: ComplaintConfig) -> Complaint:
    """Look for vehicles again (after a feed caught up); staff's decisions are kept."""
    access.require_editor(scope)
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    added = match_vehicles(db, complaint=complaint, config=config)
    audit.record(
        db, actor=scope.actor, action="complaint.rematch", entity_type="complaint",
        entity_id=complaint.reference, city_id=complaint.city_id, after={"added": added},
    )  # fmt: skip
    return complaint
