"""A company's complaints and damage handovers with everything a company may read of them, for the
isolation tests: a complaint routed to it (with a photo and a message in its thread), a handover
(with a photo, a webhook delivery and an act), each text carrying the company's tag so a leak is
found by searching for the tag."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.complaints import matches, routing
from tartip.complaints import service as complaints
from tartip.complaints.enums import ComplaintCategory
from tartip.complaints.models import Complaint, ComplaintPhoto
from tartip.complaints.schemas import CommentCreate, ComplaintCreate, RouteRequest
from tartip.core import photos
from tartip.core.clock import utcnow
from tartip.damage import agreements, batches, intake, webhooks
from tartip.damage.enums import DamageKind, DamageSource
from tartip.damage.models import CasePhoto, Handover, HandoverBatch, WebhookDelivery
from tartip.damage.schemas import AgreementUpdate, WebhookUpdate
from tests.complaints.helpers import config
from tests.ops.helpers import jpeg_with_gps


@dataclass
class Cases:
    """One company's complaint and handover rows, and the texts that would give them away."""

    complaint: Complaint
    complaint_photo: ComplaintPhoto
    handover: Handover
    damage_photo: CasePhoto
    delivery: WebhookDelivery
    batch: HandoverBatch
    texts: list[str] = field(default_factory=list)

    @property
    def ids(self) -> dict[str, list[int | str]]:
        """Row ids by kind, for path parameters."""
        return {
            "complaint": [self.complaint.reference],
            "complaint_photo": [self.complaint_photo.id],
            "handover": [self.handover.id],
            "damage_photo": [self.damage_photo.id],
            "delivery": [self.delivery.id],
            "batch": [self.batch.id],
        }


def staff(city: City, role: Role = Role.admin) -> Scope:
    """The operator's staff acting without a user row (as seeding does)."""
    return Scope(user_id=None, username="test-staff", role=role, city_id=city.id)


def file_complaint(
    db: Session,
    city: City,
    *,
    lon: float,
    lat: float,
    description: str,
    root: Path,
    category: ComplaintCategory = ComplaintCategory.badly_parked,
    add: tuple[Company, str] | None = None,
) -> Complaint:
    """A complaint at a place, matched to the vehicles there (and ``add``, a company's vehicle
    staff name by hand), sent to their companies."""
    data = ComplaintCreate(category=category, lon=lon, lat=lat, description=description)
    complaint = complaints.create(db, scope=None, city=city, data=data, config=config(root))
    if add is not None:
        matches.decide_vehicle(
            db, scope=staff(city), reference=complaint.reference, action="add",
            company=add[0].slug, vehicle_id=add[1],
        )  # fmt: skip
    routing.route(
        db, scope=staff(city), reference=complaint.reference, data=RouteRequest(companies=True)
    )
    return complaint


def say(
    db: Session, city: City, complaint: Complaint, company: Company, text: str, rep: Scope | None
) -> None:
    """A message in the company's thread: by its representative, or by staff to it."""
    scope = rep or staff(city)
    data = CommentCreate(body=text, company=None if rep else company.slug)
    routing.comment(db, scope=scope, reference=complaint.reference, data=data)


def seed_cases(
    db: Session,
    city: City,
    company: Company,
    *,
    tag: str,
    lon: float,
    lat: float,
    root: Path,
    rep: Scope | None = None,
    vehicle_code: str | None = None,
) -> Cases:
    """A complaint about the company's vehicle standing at (lon, lat) (or ``vehicle_code``, named
    by staff), and a damaged vehicle of its handed over to it, with photos, a thread, a webhook
    delivery and an act."""
    texts = [f"{tag} complaint", f"{tag} thread", f"{tag} broken", f"{tag}-broken-1"]
    add = (company, vehicle_code) if vehicle_code else None
    complaint = file_complaint(db, city, lon=lon, lat=lat, description=texts[0], root=root, add=add)
    photo = complaints.add_photo(
        db, scope=staff(city), complaint=complaint, data=jpeg_with_gps(), config=config(root)
    )
    say(db, city, complaint, company, texts[1], rep)
    stored = photos.store(root, city_id=city.id, photo=photos.clean(jpeg_with_gps()))
    report = intake.IncomingReport(
        source=DamageSource.staff, source_key=f"test:{tag}", company_id=company.id,
        code=texts[3], kinds=[DamageKind.broken], reported_at=utcnow(), description=texts[2],
        lon=lon, lat=lat, reported_by="test-staff", photo_paths=[stored],
    )  # fmt: skip
    case = intake.add_report(db, city_id=city.id, report=report).case
    assert case is not None
    handover = db.scalars(select(Handover).where(Handover.case_id == case.id)).one()
    terms = AgreementUpdate(collect_within_h=24, deliver_webhook=True)
    agreements.update_agreement(db, scope=staff(city), company=company, data=terms)
    hook = WebhookUpdate(url=f"https://hooks.example/{company.slug}/tartip")
    agreements.set_endpoint(db, scope=staff(city), company=company, data=hook)
    webhooks.fan_out(db, city=city, base_url="https://tartip.example")
    delivery = db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.handover_id == handover.id)
    ).one()
    batch = batches.create_batch(
        db, scope=staff(city), company=company, handover_ids=[handover.id],
        handed_over_by=f"{tag} operator", received_by=f"{tag} crew",
    )  # fmt: skip
    texts += [f"{tag} operator", f"{tag} crew"]
    damage_photo = db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)).one()
    return Cases(complaint, photo, handover, damage_photo, delivery, batch, texts)
