"""Complaints as each caller may see them: API schemas built from the rows.

A company representative sees only its own company's vehicles, link and thread; nobody but
admins and supervisors sees the complainant's contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.complaints import access, matches, routing
from tartip.complaints import service as complaints_service
from tartip.complaints.enums import OPEN
from tartip.complaints.models import (
    Complaint,
    ComplaintComment,
    ComplaintCompany,
    ComplaintTransition,
    ComplaintVehicle,
)
from tartip.complaints.schemas import (
    CommentRead,
    CompanyLinkRead,
    ComplaintRead,
    ContactRead,
    PublicStatus,
    TransitionRead,
    VehicleMatchRead,
)
from tartip.core.clock import utcnow
from tartip.damage.models import Handover
from tartip.zones.models import Zone


def is_overdue(complaint: Complaint, at: datetime | None = None) -> bool:
    """Whether a complaint is still open past its due time."""
    return complaint.status in OPEN and complaint.due_at < (at or utcnow())


def _mine(scope: Scope, company_id: int | None) -> bool:
    return scope.company_id is None or company_id == scope.company_id


@dataclass(frozen=True)
class _Related:
    """What a page of complaints shows beside their own columns, read once for the page."""

    companies: dict[int, Company]
    zones: dict[int, Zone]
    vehicles: dict[int, list[ComplaintVehicle]]
    links: dict[int, list[ComplaintCompany]]
    photos: dict[int, list[int]]
    history: dict[int, list[ComplaintTransition]]
    comments: dict[int, list[ComplaintComment]]
    # Each handover reference on the page: the company it was handed to.
    handed_to: dict[str, int]

    def slug(self, company_id: int | None) -> str | None:
        """The slug of a company of the page's cities, else None."""
        company = self.companies.get(company_id) if company_id is not None else None
        return company.slug if company else None

    @classmethod
    def read(cls, db: Session, *, scope: Scope, complaints: list[Complaint]) -> _Related:
        ids = [c.id for c in complaints]
        cities = {c.city_id for c in complaints}
        zone_ids = {c.zone_id for c in complaints if c.zone_id is not None}
        refs = {c.damage_ref for c in complaints if c.damage_ref is not None}
        handed_to: dict[str, int] = {}
        if refs and scope.company_id is not None:
            stmt = select(Handover.reference, Handover.company_id).where(
                Handover.city_id.in_(cities), Handover.reference.in_(refs)
            )
            handed_to = {str(r): int(c) for r, c in db.execute(stmt)}
        return cls(
            companies={
                c.id: c
                for city_id in cities
                for c in cities_service.list_companies(db, city_id=city_id)
            },
            zones=(
                {z.id: z for z in db.scalars(select(Zone).where(Zone.id.in_(zone_ids)))}
                if zone_ids
                else {}
            ),
            vehicles=matches.vehicles_of_each(db, complaint_ids=ids),
            links=matches.companies_of_each(db, complaint_ids=ids),
            photos=complaints_service.photo_ids(db, complaint_ids=ids),
            history=complaints_service.history_of_each(db, complaint_ids=ids),
            comments=routing.comments_of_each(db, scope=scope, complaint_ids=ids),
            handed_to=handed_to,
        )


def _damage_ref(scope: Scope, complaint: Complaint, related: _Related) -> str | None:
    """The handover's reference; a company sees it only when the handover is its own."""
    if complaint.damage_ref is None or scope.company_id is None:
        return complaint.damage_ref
    owner = related.handed_to.get(complaint.damage_ref)
    return complaint.damage_ref if owner == scope.company_id else None


def complaint_read(db: Session, *, scope: Scope, complaint: Complaint) -> ComplaintRead:
    """One complaint as the caller may see it."""
    return complaint_reads(db, scope=scope, complaints=[complaint])[0]


def complaint_reads(
    db: Session, *, scope: Scope, complaints: list[Complaint]
) -> list[ComplaintRead]:
    """Complaints as the caller may see them, their related rows read once for all of them."""
    related = _Related.read(db, scope=scope, complaints=complaints)
    now = utcnow()
    return [_read(scope, complaint, related, now) for complaint in complaints]


def _read(scope: Scope, complaint: Complaint, related: _Related, now: datetime) -> ComplaintRead:
    companies = related.companies
    zone = related.zones.get(complaint.zone_id) if complaint.zone_id is not None else None
    vehicles = [
        VehicleMatchRead(
            id=v.id,
            company=related.slug(v.company_id) or "",
            vehicle_id=v.vehicle_id,
            lon=v.lon,
            lat=v.lat,
            distance_m=v.distance_m,
            seen_at=v.seen_at,
            origin=v.origin,
            state=v.state,
        )  # fmt: skip
        for v in related.vehicles.get(complaint.id, [])
        if _mine(scope, v.company_id)
    ]
    links = [
        CompanyLinkRead(
            company=related.slug(c.company_id) or "",
            name=companies[c.company_id].name,
            origin=c.origin,
            state=c.state,
            routed_at=c.routed_at,
            answered_at=c.answered_at,
        )  # fmt: skip
        for c in related.links.get(complaint.id, [])
        if _mine(scope, c.company_id) and c.company_id in companies
    ]
    contact = (
        ContactRead(
            name=complaint.contact_name,
            email=complaint.contact_email,
            phone=complaint.contact_phone,
            consent=complaint.contact_consent,
            removed_at=complaint.contact_removed_at,
        )  # fmt: skip
        if access.sees_contact(scope)
        else None
    )
    own = access.sees_all_companies(scope) or complaint.filed_by_user_id == scope.user_id
    return ComplaintRead(
        reference=complaint.reference,
        source=complaint.source,
        category=complaint.category,
        status=complaint.status,
        lon=complaint.lon,
        lat=complaint.lat,
        address=complaint.address,
        occurred_at=complaint.occurred_at,
        received_at=complaint.received_at,
        due_at=complaint.due_at,
        overdue=is_overdue(complaint, now),
        description=complaint.description,
        zone_id=complaint.zone_id,
        zone_name=zone.name if zone else None,
        answer=complaint.answer,
        answered_at=complaint.answered_at,
        reject_reason=complaint.reject_reason,
        closed_at=complaint.closed_at,
        reopen_count=complaint.reopen_count,
        task_id=complaint.task_id if access.sees_all_companies(scope) else None,
        damage_ref=_damage_ref(scope, complaint, related),
        external_ref=complaint.external_ref if own else None,
        photo_ids=related.photos.get(complaint.id, []),
        contact=contact,
        vehicles=vehicles,
        companies=links,
        history=[
            TransitionRead(
                action=t.action,
                from_status=t.from_status,
                to_status=t.to_status,
                at=t.at,
                by=t.by,
                note=t.note,
            )  # fmt: skip
            for t in related.history.get(complaint.id, [])
        ],
        comments=[
            CommentRead(
                id=n.id,
                company=related.slug(n.company_id) if n.company_id else None,
                by_company=n.by_company,
                author=n.author,
                body=n.body,
                at=n.at,
            )  # fmt: skip
            for n in related.comments.get(complaint.id, [])
        ],
    )


def public_status(complaint: Complaint) -> PublicStatus:
    """What the public status page shows: no contact, no place, no description."""
    closed = complaint.status not in OPEN
    return PublicStatus(
        reference=complaint.reference,
        category=complaint.category,
        status=complaint.status,
        received_at=complaint.received_at,
        due_at=complaint.due_at,
        closed_at=complaint.closed_at,
        answer=(complaint.answer or complaint.reject_reason) if closed else "",
    )
