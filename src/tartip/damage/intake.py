"""Damage reports into cases: from scouts (ops reports), complaints and the feed, per vehicle.

Every report names a vehicle by its company and code. While that vehicle has an open case, a new
report joins it (its kinds, photos and place are added); otherwise it opens a case, which is handed
to the company at once when the company is known. Each report is taken in once: its
``source_key`` is unique per city, so a repeated or doubled intake adds nothing.

The feed's part: a vehicle its company's own feed shows disabled on the street for longer than
the city's ``DamagePolicy.disabled_after_h`` is a report too, from the feed. Each *episode* of
standing disabled is one report (its key carries when the episode began), so a vehicle repaired
and later left disabled again is reported again, while repeated runs over one episode are not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.audit.service import Actor
from tartip.auth.models import User
from tartip.core.clock import utcnow
from tartip.damage import service
from tartip.damage.enums import DamageKind, DamageSource, EventKind
from tartip.damage.models import CasePhoto, CaseReport, DamageCase, DamagePolicy, Handover
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle, VehicleChange
from tartip.ops.models import DamageReport, WorkPhoto
from tartip.ops.vehicles import candidates

log = logging.getLogger(__name__)

DEFAULT_DISABLED_AFTER_H = 24.0
BATCH = 500
SYSTEM = "Tartip"


@dataclass(frozen=True)
class IncomingReport:
    """A damage report as any source gives it, before it is merged into a case."""

    source: DamageSource
    source_key: str
    company_id: int | None
    code: str
    kinds: Sequence[DamageKind]
    reported_at: datetime
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    # The live feed's id, when the report matched a vehicle in the feed.
    feed_vehicle_id: str | None = None
    reported_by: str = ""
    user_id: int | None = None
    ops_damage_report_id: int | None = None
    complaint_id: int | None = None
    # Photos already stored by ``core.photos`` (paths relative to the media directory).
    photo_paths: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Intake:
    """What taking in one report did."""

    case: DamageCase | None
    created: bool = False
    merged: bool = False
    duplicate: bool = False  # the same report was taken in before: nothing changed


def vehicle_code(code: str, feed_vehicle_id: str | None) -> str:
    """The vehicle's code as its company knows it: the feed's id, else the id read from the code.

    A QR code is usually a URL of the company's app with the number in it; the number is what
    the company knows the vehicle by, so two reports (one scanned, one typed) merge.
    """
    if feed_vehicle_id:
        return feed_vehicle_id.strip()
    found = candidates(code)
    return (found[0] if found else code).strip()[:255]


def case_key(company_id: int | None, code: str) -> str:
    """The key two reports of the same vehicle share."""
    return f"{company_id or 0}:{code.lower()}"[:300]


def open_case(db: Session, *, city_id: int, key: str) -> DamageCase | None:
    """The open case of the vehicle ``key`` names (``case_key``), if there is one."""
    stmt = select(DamageCase).where(DamageCase.city_id == city_id, DamageCase.open_key == key)
    return db.scalars(stmt).first()


def _merge(case: DamageCase, report: IncomingReport) -> None:
    kinds = list(case.kinds or [])
    kinds += [k.value for k in report.kinds if k.value not in kinds]
    case.kinds = kinds
    text = report.description.strip()
    if text and text not in case.description:
        case.description = f"{case.description}\n{text}".strip()
    if report.lon is not None and report.lat is not None:
        case.lon, case.lat = report.lon, report.lat
    if report.feed_vehicle_id and not case.feed_vehicle_id:
        case.feed_vehicle_id = report.feed_vehicle_id
    case.first_reported_at = min(case.first_reported_at, report.reported_at)
    case.last_reported_at = max(case.last_reported_at, report.reported_at)
    case.report_count += 1


def _new_case(city_id: int, report: IncomingReport, code: str, key: str) -> DamageCase:
    return DamageCase(
        city_id=city_id,
        company_id=report.company_id,
        vehicle_code=code,
        feed_vehicle_id=report.feed_vehicle_id,
        key=key,
        open_key=key,
        kinds=[],
        description="",
        lon=report.lon,
        lat=report.lat,
        first_reported_at=report.reported_at,
        last_reported_at=report.reported_at,
        report_count=0,
    )


def _store_report(db: Session, case: DamageCase, report: IncomingReport) -> CaseReport:
    row = CaseReport(
        city_id=case.city_id,
        case_id=case.id,
        source=report.source,
        source_key=report.source_key,
        ops_damage_report_id=report.ops_damage_report_id,
        complaint_id=report.complaint_id,
        code=report.code[:500],
        kinds=[k.value for k in report.kinds],
        description=report.description.strip(),
        lon=report.lon,
        lat=report.lat,
        reported_at=report.reported_at,
        reported_by=report.reported_by[:200],
        user_id=report.user_id,
    )
    db.add(row)
    db.flush()
    for path in report.photo_paths:
        db.add(CasePhoto(city_id=case.city_id, case_id=case.id, report_id=row.id, path=path))
    return row


def _taken(db: Session, *, city_id: int, source_key: str) -> bool:
    stmt = select(CaseReport.id).where(
        CaseReport.city_id == city_id, CaseReport.source_key == source_key
    )
    return db.scalar(stmt) is not None


def _take(db: Session, *, city_id: int, report: IncomingReport, now: datetime) -> Intake:
    if _taken(db, city_id=city_id, source_key=report.source_key):
        return Intake(case=None, duplicate=True)
    code = vehicle_code(report.code, report.feed_vehicle_id)
    key = case_key(report.company_id, code)
    case = open_case(db, city_id=city_id, key=key)
    created = case is None
    if case is None:
        case = _new_case(city_id, report, code, key)
        db.add(case)
        db.flush()  # the unique open key: a racing intake of the same vehicle fails here
    _merge(case, report)
    _store_report(db, case, report)
    handover = db.scalars(select(Handover).where(Handover.case_id == case.id)).first()
    if handover is None and case.company_id is not None:
        by = report.reported_by or SYSTEM
        service.hand_over(db, case=case, company_id=case.company_id, actor=by, at=now)
    elif handover is not None:
        kinds = ", ".join(k.value for k in report.kinds)
        service.record_event(
            db, handover, EventKind.report_merged, at=now, actor=report.reported_by or SYSTEM,
            note=f"{report.source.value}: {kinds}",
        )  # fmt: skip
    db.flush()
    return Intake(case=case, created=created, merged=not created)


def add_report(
    db: Session, *, city_id: int, report: IncomingReport, now: datetime | None = None
) -> Intake:
    """Take one report in: merged into the vehicle's open case, or a new case handed over."""
    at = now or utcnow()
    for attempt in range(2):
        try:
            with db.begin_nested():
                return _take(db, city_id=city_id, report=report, now=at)
        except IntegrityError:
            # Another intake took the same report, or opened the same vehicle's case, between
            # our read and our write: read again, and the second time round it merges.
            if attempt:
                raise
            log.info("damage intake raced on %s; reading again", report.source_key)
    raise AssertionError("unreachable")


# ---- scouts (ops damage reports) ---------------------------------------------------------------


def _ops_report(report: DamageReport, user: User | None, photo: str | None) -> IncomingReport:
    return IncomingReport(
        source=DamageSource.scout,
        source_key=f"ops:{report.id}",
        company_id=report.company_id,
        code=report.code,
        kinds=[DamageKind(str(report.kind))],
        reported_at=report.reported_at,
        description=report.description,
        lon=report.lon,
        lat=report.lat,
        feed_vehicle_id=report.vehicle_id,
        reported_by=(user.full_name or user.username) if user is not None else "",
        user_id=report.reported_by,
        ops_damage_report_id=report.id,
        photo_paths=(photo,) if photo else (),
    )


def from_ops_reports(db: Session, *, city_id: int, now: datetime | None = None) -> int:
    """Take in the scouts' damage reports not taken in yet; returns how many were."""
    stmt = (
        select(DamageReport, User, WorkPhoto.path)
        .outerjoin(CaseReport, CaseReport.ops_damage_report_id == DamageReport.id)
        .outerjoin(User, User.id == DamageReport.reported_by)
        .outerjoin(WorkPhoto, WorkPhoto.id == DamageReport.photo_id)
        .where(DamageReport.city_id == city_id, CaseReport.id.is_(None))
        .order_by(DamageReport.id)
        .limit(BATCH)
    )
    taken = 0
    for report, user, photo in db.execute(stmt).all():
        result = add_report(db, city_id=city_id, report=_ops_report(report, user, photo), now=now)
        taken += 0 if result.duplicate else 1
    return taken


# ---- complaints --------------------------------------------------------------------------------


def from_complaint(
    db: Session,
    *,
    city_id: int,
    complaint_id: int,
    actor: Actor,
    company_id: int | None,
    code: str,
    kinds: Sequence[DamageKind] = (DamageKind.broken,),
    description: str = "",
    lon: float | None = None,
    lat: float | None = None,
    feed_vehicle_id: str | None = None,
    photo_paths: Sequence[str] = (),
    reported_at: datetime | None = None,
) -> DamageCase | None:
    """A complaint about a damaged vehicle becomes (or joins) its case; called by complaints.

    ``actor`` is the person who routed the complaint here. The same complaint sent twice is
    taken once (the second call returns None). The description goes to the company as written:
    the caller leaves out the complainant's contact details.
    """
    report = IncomingReport(
        source=DamageSource.complaint,
        source_key=f"complaint:{complaint_id}",
        company_id=company_id,
        code=code,
        kinds=list(kinds) or [DamageKind.other],
        reported_at=reported_at or utcnow(),
        description=description,
        lon=lon,
        lat=lat,
        feed_vehicle_id=feed_vehicle_id,
        reported_by=actor.label,
        user_id=actor.user_id,
        complaint_id=complaint_id,
        photo_paths=tuple(photo_paths),
    )
    result = add_report(db, city_id=city_id, report=report)
    if result.case is not None:
        audit.record(
            db, actor=actor, action="damage_case.report", entity_type="damage_case",
            entity_id=result.case.id, city_id=city_id,
            after={"source": "complaint", "complaint_id": complaint_id, "code": code},
        )  # fmt: skip
    return result.case


def add_complaint_photos(
    db: Session, *, city_id: int, complaint_id: int, photo_paths: Sequence[str]
) -> int:
    """Photos sent with a complaint after it reached the damage desk join its case (each once);
    returns how many were added. A complaint the desk never took in adds nothing."""
    report = db.scalars(
        select(CaseReport).where(
            CaseReport.city_id == city_id, CaseReport.source_key == f"complaint:{complaint_id}"
        )
    ).first()
    if report is None:
        return 0
    known = set(db.scalars(select(CasePhoto.path).where(CasePhoto.case_id == report.case_id)))
    added = 0
    for path in photo_paths:
        if path not in known:
            db.add(
                CasePhoto(city_id=city_id, case_id=report.case_id, report_id=report.id, path=path)
            )
            known.add(path)
            added += 1
    db.flush()
    return added


# ---- the feed: disabled on the street too long -------------------------------------------------


def disabled_after(db: Session, *, city_id: int) -> timedelta:
    """How long a vehicle may stand disabled in its feed before it becomes a case."""
    hours = db.scalar(select(DamagePolicy.disabled_after_h).where(DamagePolicy.city_id == city_id))
    return timedelta(hours=DEFAULT_DISABLED_AFTER_H if hours is None else float(hours))


# The changes that put a vehicle on the street disabled: it turned disabled there, or came back
# to its feed disabled (leaving the feed while disabled is taken as collected, ``followup``).
_BECAME_DISABLED = (ChangeKind.status_changed.value, ChangeKind.returned.value)


def _disabled_vehicles(db: Session, *, city_id: int) -> list[tuple[Vehicle, datetime]]:
    """Disabled vehicles in their feed (not stale), with when their current episode began."""
    became = and_(
        VehicleChange.feed_id == Vehicle.feed_id,
        VehicleChange.vehicle_id == Vehicle.vehicle_id,
        VehicleChange.kind.in_(_BECAME_DISABLED),
        VehicleChange.status == VehicleStatus.disabled.value,
    )
    stmt = (
        select(Vehicle, func.max(VehicleChange.at))
        .outerjoin(VehicleChange, became)
        .where(
            Vehicle.city_id == city_id,
            Vehicle.in_feed.is_(True),
            Vehicle.is_stale.is_(False),
            Vehicle.status == VehicleStatus.disabled.value,
        )
        .group_by(Vehicle.id)
    )
    # No such change on record: disabled since it appeared. Changes outlive a vehicle row that
    # was purged and seen again under the same id; those before this row's first sight are older
    # episodes, hence the later of the two.
    return [
        (v, v.first_seen_at if since is None else max(since, v.first_seen_at))
        for v, since in db.execute(stmt).all()
    ]


def episode_key(vehicle: Vehicle, since: datetime) -> str:
    """The ``source_key`` of one episode of ``vehicle`` standing disabled, begun at ``since``."""
    began = since.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"feed:{vehicle.feed_id}:{vehicle.vehicle_id}:{began}"


def _legacy_key(vehicle: Vehicle) -> str:
    # Reports taken in before episodes were keyed carry one key per vehicle for ever.
    return f"feed:{vehicle.feed_id}:{vehicle.vehicle_id}"


def _reported(db: Session, *, city_id: int, due: list[tuple[Vehicle, datetime]]) -> set[int]:
    """The vehicles (row ids) among ``due`` whose current episode was reported already."""
    keys = {v.id: (episode_key(v, since), _legacy_key(v)) for v, since in due}
    wanted = {key for pair in keys.values() for key in pair}
    # One query for all of them, not one each (most are reported, run after run).
    stmt = select(CaseReport.source_key, CaseReport.reported_at).where(
        CaseReport.city_id == city_id, CaseReport.source_key.in_(wanted)
    )
    known: dict[str, datetime] = dict(db.execute(stmt).all())
    reported: set[int] = set()
    for vehicle, since in due:
        key, legacy = keys[vehicle.id]
        legacy_at = known.get(legacy)
        # An old-style report belongs to this episode when it came after the episode began.
        if key in known or (legacy_at is not None and legacy_at >= since):
            reported.add(vehicle.id)
    return reported


def from_feed(db: Session, *, city_id: int, now: datetime | None = None) -> int:
    """Open (or join) a case for each vehicle disabled on the street too long; returns how many.

    A vehicle is reported once per episode: while its case is open, a later episode joins it;
    after the case closed, a later episode opens a new one.
    """
    at = now or utcnow()
    limit = disabled_after(db, city_id=city_id)
    due = [(v, since) for v, since in _disabled_vehicles(db, city_id=city_id) if at - since > limit]
    if not due:
        return 0
    reported = _reported(db, city_id=city_id, due=due)
    taken = 0
    for vehicle, since in due:
        if vehicle.id in reported:
            continue
        hours = (at - since).total_seconds() / 3600
        report = IncomingReport(
            source=DamageSource.feed,
            source_key=episode_key(vehicle, since),
            company_id=vehicle.company_id,
            code=vehicle.vehicle_id,
            kinds=[DamageKind.disabled_long],
            reported_at=at,
            description=f"disabled in the company's feed for {hours:.0f} h",
            lon=vehicle.lon,
            lat=vehicle.lat,
            feed_vehicle_id=vehicle.vehicle_id,
            reported_by=f"{SYSTEM} (feed)",
        )
        result = add_report(db, city_id=city_id, report=report, now=at)
        taken += 0 if result.duplicate else 1
    return taken
