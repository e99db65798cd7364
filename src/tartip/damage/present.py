"""Handovers as the API shows them (and webhooks send them): one place builds ``HandoverRead``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.damage import service
from tartip.damage.enums import DamageKind, DamageSource
from tartip.damage.models import CasePhoto, CaseReport
from tartip.damage.schemas import (
    CaseReportRead,
    HandoverDetail,
    HandoverEventRead,
    HandoverRead,
)
from tartip.damage.service import HandoverRow


def photo_url(base_url: str, photo_id: int) -> str:
    """Where a case's photo is served (to the company's token or session, and to staff)."""
    return f"{base_url.rstrip('/')}/api/v1/damage/photos/{photo_id}"


@dataclass(frozen=True)
class CaseExtras:
    """What a list of cases needs besides their rows: photo ids and report sources per case."""

    photos: dict[int, list[int]]
    sources: dict[int, list[DamageSource]]


def extras(db: Session, *, case_ids: Sequence[int]) -> CaseExtras:
    """Photo ids and sources of each case."""
    photos: dict[int, list[int]] = {}
    sources: dict[int, list[DamageSource]] = {}
    if case_ids:
        ids = list(case_ids)
        stmt = select(CasePhoto.case_id, CasePhoto.id).where(CasePhoto.case_id.in_(ids))
        for case_id, photo_id in db.execute(stmt.order_by(CasePhoto.id)):
            photos.setdefault(case_id, []).append(photo_id)
        found = select(CaseReport.case_id, CaseReport.source).where(CaseReport.case_id.in_(ids))
        for case_id, source in db.execute(found.order_by(CaseReport.id)):
            kept = sources.setdefault(case_id, [])
            if DamageSource(source) not in kept:
                kept.append(DamageSource(source))
    return CaseExtras(photos=photos, sources=sources)


def handover_read(
    row: HandoverRow, more: CaseExtras, *, base_url: str, now: datetime
) -> HandoverRead:
    """One handover as the API shows it."""
    h, case = row.handover, row.case
    return HandoverRead(
        handover_id=h.id,
        reference=h.reference,
        vehicle_id=case.vehicle_code,
        company=row.company.slug,
        damage=[DamageKind(k) for k in case.kinds or []],
        description=case.description,
        lat=case.lat,
        lon=case.lon,
        photos=[photo_url(base_url, p) for p in more.photos.get(case.id, [])],
        reported_at=case.first_reported_at,
        handed_over_at=h.handed_over_at,
        due_at=h.due_at,
        status=h.status,
        overdue=service.is_overdue(h, now),
        acknowledged_at=h.acknowledged_at,
        collected_at=h.collected_at,
        collected_via=h.collected_via,
        resolved_at=h.resolved_at,
        resolution=h.resolution,
        report_count=case.report_count,
        sources=more.sources.get(case.id, []),
    )


def handover_reads(
    db: Session, rows: Sequence[HandoverRow], *, base_url: str, now: datetime
) -> list[HandoverRead]:
    """Handovers as the API shows them."""
    more = extras(db, case_ids=[r.case.id for r in rows])
    return [handover_read(r, more, base_url=base_url, now=now) for r in rows]


def case_reports(db: Session, *, case_id: int) -> list[CaseReport]:
    """The reports of a case, oldest first."""
    stmt = select(CaseReport).where(CaseReport.case_id == case_id).order_by(CaseReport.id)
    return list(db.scalars(stmt))


def handover_detail(
    db: Session, *, row: HandoverRow, base_url: str, now: datetime
) -> HandoverDetail:
    """One handover with its reports and history."""
    read = handover_reads(db, [row], base_url=base_url, now=now)[0]
    reports = [
        CaseReportRead(
            id=r.id,
            source=r.source,
            code=r.code,
            kinds=[DamageKind(k) for k in r.kinds or []],
            description=r.description,
            lon=r.lon,
            lat=r.lat,
            reported_at=r.reported_at,
            reported_by=r.reported_by or None,
        )
        for r in case_reports(db, case_id=row.case.id)
    ]
    events = service.history(db, handover_ids=[row.handover.id]).get(row.handover.id, [])
    steps = [HandoverEventRead(kind=e.kind, at=e.at, actor=e.actor, note=e.note) for e in events]
    return HandoverDetail(**read.model_dump(), reports=reports, history=steps)
