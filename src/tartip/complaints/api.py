"""The JSON API of complaints: government bodies, the police and companies file and follow them;
staff match, route, answer; companies answer in their thread.

Every route takes a bearer token or a session; the caller's role decides what it sees
(``access.py``). Handlers are thin: one service call, then a schema from ``present``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import Field

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import (
    access,
    auto,
    due,
    figures,
    matches,
    policy,
    present,
    routing,
)
from tartip.complaints import due_times as city_due
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import ComplaintCategory, ComplaintSource, ComplaintStatus
from tartip.complaints.schemas import (
    CommentCreate,
    CompanyDecision,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    DueTimeRead,
    DueTimeSet,
    FiguresRead,
    RouteRequest,
    StatusChange,
    VehicleDecision,
)
from tartip.core.clock import utcnow
from tartip.core.schemas import TartipModel
from tartip.deps import (
    CurrentScope,
    DbSession,
    Paging,
    SettingsDep,
    UploadRoute,
    photo_response,
)
from tartip.fleet import service as fleet_service
from tartip.notify import service as notify

# UploadRoute: an upload over Settings.upload_max_bytes is refused (413) before it is read.
router = APIRouter(tags=["complaints"], route_class=UploadRoute)


def get_filters(
    status: Annotated[list[ComplaintStatus] | None, Query(description="Repeatable")] = None,
    source: Annotated[list[ComplaintSource] | None, Query(description="Repeatable")] = None,
    category: Annotated[list[ComplaintCategory] | None, Query(description="Repeatable")] = None,
    company: Annotated[str | None, Query(description="Concerning this company (slug)")] = None,
    zone_id: Annotated[int | None, Query()] = None,
    overdue: Annotated[bool, Query(description="Only open ones past their due time")] = False,
    open_only: Annotated[bool, Query(description="Only received or in work")] = False,
    q: Annotated[str, Query(max_length=40, description="Part of a reference")] = "",
) -> access.ComplaintFilter:
    """The complaint filters of a request."""
    return access.ComplaintFilter(
        statuses=tuple(status or ()), sources=tuple(source or ()),
        categories=tuple(category or ()), company=company, zone_id=zone_id,
        overdue_only=overdue, open_only=open_only, search=q,
    )  # fmt: skip


Filters = Annotated[access.ComplaintFilter, Depends(get_filters)]


def get_config(settings: SettingsDep) -> ComplaintConfig:
    """The complaints configuration of the app's settings."""
    return ComplaintConfig.from_settings(settings)


Config = Annotated[ComplaintConfig, Depends(get_config)]


def _city(db: DbSession, scope: CurrentScope) -> City:
    return fleet_service.get_city_or_raise(db, scope=scope)


CallerCity = Annotated[City, Depends(_city)]


class PhotoCreated(TartipModel):
    """A photo attached to a complaint."""

    id: int
    width: int
    height: int


class PolicyRead(TartipModel):
    """The city's complaints policy."""

    auto_route: bool = Field(
        description="A new place-fixable complaint goes to a scout's task (or the damage desk) "
        "and to its companies as it arrives, without a supervisor's click"
    )
    updated_by: str | None
    updated_at: datetime | None


class PolicySet(TartipModel):
    """A change of the city's complaints policy."""

    auto_route: bool


class OutboxRow(TartipModel):
    """One message of the e-mail outbox (admins)."""

    id: int
    to: str
    subject: str
    kind: str
    ref: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    created_at: datetime


@router.post("/complaints", response_model=ComplaintRead, status_code=201)
def file_complaint(
    db: DbSession, scope: CurrentScope, city: CallerCity, config: Config, data: ComplaintCreate
) -> ComplaintRead:
    """File a complaint: a body's token files as government or police, staff name the source.

    The same ``external_ref`` from the same account again returns the first complaint. When the
    city routes automatically, a place-fixable complaint is in work at once (see ``policy``).
    """
    complaint = auto.receive(db, scope=scope, city=city, data=data, config=config)
    return present.complaint_read(db, scope=scope, complaint=complaint)


@router.get("/complaints", response_model=ComplaintPage)
def list_complaints(
    db: DbSession, scope: CurrentScope, paging: Paging, filters: Filters
) -> ComplaintPage:
    """Complaints in the caller's scope: open ones most urgent first."""
    found, total = access.list_complaints(
        db, scope=scope, filters=filters, offset=paging.offset, limit=paging.size
    )
    items = present.complaint_reads(db, scope=scope, complaints=found)
    return ComplaintPage(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/complaints/figures", response_model=FiguresRead)
def complaint_figures(
    db: DbSession,
    scope: CurrentScope,
    city: CallerCity,
    since: Annotated[date | None, Query(description="First day, city time (30 days back)")] = None,
    until: Annotated[date | None, Query(description="Last day included, city time")] = None,
) -> FiguresRead:
    """Figures by source, category, company and zone, with times to resolve."""
    now = utcnow()
    start, end = figures.period(since, until, timezone=city.timezone, now=now)
    return figures.figures(db, scope=scope, since=start, until=end, now=now)


@router.get("/complaints/due-times", response_model=list[DueTimeRead])
def due_times(db: DbSession, scope: CurrentScope) -> list[DueTimeRead]:
    """Due times: the defaults per category and source, and the city's own."""
    own = city_due.overrides(db, city_id=scope.city_id)
    rows = [
        DueTimeRead(category=c, source=s, hours=r.hours, clock=r.clock, overridden=True)
        for (c, s), r in sorted(own.items())
    ]
    for category in ComplaintCategory:
        for source in ComplaintSource:
            rule = due.default_rule(category, source)
            rows.append(
                DueTimeRead(
                    category=category.value,
                    source=source.value,
                    hours=rule.hours,
                    clock=rule.clock,
                    overridden=False,
                )  # fmt: skip
            )
    return rows


@router.put("/complaints/due-times", response_model=list[DueTimeRead])
def set_due_time(db: DbSession, scope: CurrentScope, data: DueTimeSet) -> list[DueTimeRead]:
    """Set (or with ``hours`` null remove) the city's due time for a category and source."""
    city_due.set_due_time(
        db, scope=scope, category=data.category, source=data.source, hours=data.hours,
        clock=data.clock,
    )  # fmt: skip
    return due_times(db, scope)


@router.get("/complaints/policy", response_model=PolicyRead)
def read_policy(db: DbSession, scope: CurrentScope) -> PolicyRead:
    """The city's complaints policy: whether new complaints are routed automatically (staff)."""
    access.require_editor(scope)
    row = policy.get(db, city_id=scope.city_id)
    return PolicyRead(
        auto_route=policy.auto_route_on(db, city_id=scope.city_id),
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


@router.put("/complaints/policy", response_model=PolicyRead)
def set_policy(db: DbSession, scope: CurrentScope, data: PolicySet) -> PolicyRead:
    """Switch automatic routing of new complaints on or off (admins)."""
    policy.set_auto_route(db, scope=scope, auto_route=data.auto_route)
    return read_policy(db, scope)


@router.get("/complaints/outbox", response_model=list[OutboxRow])
def outbox(db: DbSession, scope: CurrentScope) -> list[OutboxRow]:
    """The city's e-mail outbox, newest first (admins): queued, sent and failed messages."""
    scope.require(Role.admin)
    return [
        OutboxRow.model_validate(m, from_attributes=True)
        for m in notify.list_emails(db, city_id=scope.city_id)
    ]


@router.get("/complaints/{reference}", response_model=ComplaintRead)
def read_complaint(db: DbSession, scope: CurrentScope, reference: str) -> ComplaintRead:
    """One complaint (404 outside the caller's scope)."""
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    return present.complaint_read(db, scope=scope, complaint=complaint)


@router.post("/complaints/{reference}/photos", response_model=PhotoCreated, status_code=201)
async def add_photo(
    db: DbSession,
    scope: CurrentScope,
    config: Config,
    reference: str,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
) -> PhotoCreated:
    """Attach a photo (checked by content, EXIF removed)."""
    complaint = access.get_or_raise(db, scope=scope, reference=reference)
    # A bigger file than allowed is never held whole: one byte more tells it is too big.
    data = await file.read(config.photo_limits.max_bytes + 1)
    photo = complaints.add_photo(db, scope=scope, complaint=complaint, data=data, config=config)
    return PhotoCreated(id=photo.id, width=photo.width, height=photo.height)


@router.get("/complaints/{reference}/photos/{photo_id}", response_class=FileResponse)
def read_photo(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    reference: str,
    photo_id: int,
    thumb: Annotated[bool, Query(description="A small version")] = False,
) -> FileResponse:
    """A complaint's photo (JPEG without metadata), or its thumbnail."""
    photo = complaints.get_photo_or_raise(db, scope=scope, reference=reference, photo_id=photo_id)
    return photo_response(settings, photo.path, thumbnail=thumb)


@router.post("/complaints/{reference}/status", response_model=ComplaintRead)
def change_status(
    db: DbSession, scope: CurrentScope, config: Config, reference: str, data: StatusChange
) -> ComplaintRead:
    """Take in work, resolve (with the answer), reject or re-open (with the reason)."""
    complaint = complaints.change_status(
        db, scope=scope, reference=reference, data=data, config=config
    )
    return present.complaint_read(db, scope=scope, complaint=complaint)


@router.post("/complaints/{reference}/vehicles", response_model=ComplaintRead)
def decide_vehicle(
    db: DbSession, scope: CurrentScope, reference: str, data: VehicleDecision
) -> ComplaintRead:
    """Confirm or reject a matched vehicle, or add one; the companies follow."""
    matches.decide_vehicle(
        db, scope=scope, reference=reference, action=data.action, company=data.company,
        vehicle_id=data.vehicle_id,
    )  # fmt: skip
    return read_complaint(db, scope, reference)


@router.post("/complaints/{reference}/companies", response_model=ComplaintRead)
def decide_company(
    db: DbSession, scope: CurrentScope, reference: str, data: CompanyDecision
) -> ComplaintRead:
    """Confirm, add or remove a company the complaint concerns."""
    matches.decide_company(
        db, scope=scope, reference=reference, action=data.action, company=data.company
    )
    return read_complaint(db, scope, reference)


@router.post("/complaints/{reference}/match", response_model=ComplaintRead)
def rematch(db: DbSession, scope: CurrentScope, config: Config, reference: str) -> ComplaintRead:
    """Look for the vehicles at the place and time again (staff's decisions are kept)."""
    complaint = matches.rematch(db, scope=scope, reference=reference, config=config)
    return present.complaint_read(db, scope=scope, complaint=complaint)


@router.post("/complaints/{reference}/route", response_model=ComplaintRead)
def route(db: DbSession, scope: CurrentScope, reference: str, data: RouteRequest) -> ComplaintRead:
    """Send to a scout's task and/or to the companies concerned; it is then in work."""
    complaint = routing.route(db, scope=scope, reference=reference, data=data)
    return present.complaint_read(db, scope=scope, complaint=complaint)


@router.post("/complaints/{reference}/comments", response_model=ComplaintRead, status_code=201)
def add_comment(
    db: DbSession, scope: CurrentScope, reference: str, data: CommentCreate
) -> ComplaintRead:
    """A company's answer in its thread, or staff's note (internal, or to one company)."""
    routing.comment(db, scope=scope, reference=reference, data=data)
    return read_complaint(db, scope, reference)
