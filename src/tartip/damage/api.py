"""The JSON API of damage handover: handovers and the companies' answers, cases, photos, webhook
deliveries, figures, agreements and webhooks.

A company answers with its representative's bearer token: ``POST
/api/v1/damage/handovers/{id}/acknowledge`` (then ``collect``, ``resolve``); a repeated answer
changes nothing. A representative sees only their company's handovers, deliveries and figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse

from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.damage import agreements, batches, cases, deliveries, figures, present, service
from tartip.damage.enums import (
    CollectedVia,
    DamageSource,
    DeliveryStatus,
    HandoverAction,
    HandoverStatus,
)
from tartip.damage.models import CompanyAgreement, WebhookEndpoint
from tartip.damage.schemas import (
    AgreementRead,
    AgreementUpdate,
    DeliveryAttemptRead,
    DeliveryPage,
    DeliveryRead,
    FiguresRead,
    HandoverAnswer,
    HandoverDetail,
    HandoverPage,
    HandoverRead,
    WebhookRead,
    WebhookUpdate,
)
from tartip.deps import CurrentScope, DbSession, Paging, SettingsDep, photo_response

router = APIRouter(
    tags=["damage"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        409: {"model": ErrorBody, "description": "The handover was withdrawn, or already done"},
        422: {"model": ErrorBody, "description": "A parameter is not valid"},
    },
)


def get_handover_filter(
    status: Annotated[
        list[HandoverStatus] | None, Query(description="Statuses; repeatable")
    ] = None,
    company: Annotated[list[str] | None, Query(description="Company slugs; repeatable")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not (false)")] = None,
    source: Annotated[DamageSource | None, Query(description="With a report from")] = None,
) -> service.HandoverFilter:
    """The handover filters of a request."""
    return service.HandoverFilter(
        statuses=tuple(status or ()), companies=tuple(company or ()), overdue=overdue, source=source
    )


Filters = Annotated[service.HandoverFilter, Depends(get_handover_filter)]


def _base(request: Request) -> str:
    return str(request.base_url)


@router.get("/damage/handovers", response_model=HandoverPage)
def list_handovers(
    request: Request, db: DbSession, scope: CurrentScope, paging: Paging, filters: Filters
) -> HandoverPage:
    """Handovers in the caller's scope (a company: its own), newest first."""
    now = utcnow()
    page = service.list_handovers(
        db, scope=scope, filters=filters, offset=paging.offset, limit=paging.size, now=now
    )
    items = present.handover_reads(db, page.rows, base_url=_base(request), now=now)
    return HandoverPage(items=items, total=page.total, page=paging.page, size=paging.size)


@router.get("/damage/handovers/{handover_id}", response_model=HandoverDetail)
def read_handover(
    request: Request, db: DbSession, scope: CurrentScope, handover_id: int
) -> HandoverDetail:
    """One handover with its reports and history (404 outside the caller's scope)."""
    row = service.get_or_raise(db, scope=scope, handover_id=handover_id)
    return present.handover_detail(db, row=row, base_url=_base(request), now=utcnow())


def _answer(
    request: Request,
    db: DbSession,
    scope: CurrentScope,
    handover_id: int,
    action: HandoverAction,
    data: HandoverAnswer | None,
) -> HandoverRead:
    service.answer(
        db, scope=scope, handover_id=handover_id, action=action, via=CollectedVia.api,
        note=data.note if data else "",
    )  # fmt: skip
    row = service.get_or_raise(db, scope=scope, handover_id=handover_id)
    return present.handover_reads(db, [row], base_url=_base(request), now=utcnow())[0]


AnswerBody = Annotated[HandoverAnswer | None, Body()]


@router.post("/damage/handovers/{handover_id}/acknowledge", response_model=HandoverRead)
def acknowledge(
    request: Request, db: DbSession, scope: CurrentScope, handover_id: int, data: AnswerBody = None
) -> HandoverRead:
    """The company has seen the handover and will collect the vehicle."""
    return _answer(request, db, scope, handover_id, HandoverAction.acknowledge, data)


@router.post("/damage/handovers/{handover_id}/collect", response_model=HandoverRead)
def collect(
    request: Request, db: DbSession, scope: CurrentScope, handover_id: int, data: AnswerBody = None
) -> HandoverRead:
    """The company has taken the vehicle off the street."""
    return _answer(request, db, scope, handover_id, HandoverAction.collect, data)


@router.post("/damage/handovers/{handover_id}/resolve", response_model=HandoverRead)
def resolve(
    request: Request, db: DbSession, scope: CurrentScope, handover_id: int, data: AnswerBody = None
) -> HandoverRead:
    """The company is done with it (repaired, written off); the note says what was done."""
    return _answer(request, db, scope, handover_id, HandoverAction.resolve, data)


@router.post("/damage/handovers/{handover_id}/cancel", response_model=HandoverRead)
def cancel(
    request: Request,
    db: DbSession,
    scope: CurrentScope,
    handover_id: int,
    data: Annotated[HandoverAnswer, Body()],
) -> HandoverRead:
    """Withdraw a handover made by mistake (supervisors and admins); the company is told."""
    service.cancel(db, scope=scope, handover_id=handover_id, note=data.note)
    row = service.get_or_raise(db, scope=scope, handover_id=handover_id)
    return present.handover_reads(db, [row], base_url=_base(request), now=utcnow())[0]


@router.get("/damage/photos/{photo_id}", response_class=FileResponse)
def read_photo(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    photo_id: int,
    thumb: Annotated[bool, Query(description="A small version (list rows)")] = False,
) -> FileResponse:
    """A photo of a damaged vehicle (a company: of its own handovers only)."""
    photo = cases.visible_photo_or_raise(db, scope=scope, photo_id=photo_id)
    return photo_response(settings, photo.path, thumbnail=thumb)


def _delivery_read(row: deliveries.DeliveryRow) -> DeliveryRead:
    d = row.delivery
    return DeliveryRead(
        id=d.id,
        delivery_id=d.delivery_id,
        company=row.company.slug,
        url=row.url,
        event_type=d.event_type,
        handover_id=d.handover_id,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
        attempt_log=[
            DeliveryAttemptRead(
                at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
            )
            for a in row.attempts
        ],
    )


@router.get("/damage/deliveries", response_model=DeliveryPage)
def list_deliveries(
    db: DbSession,
    scope: CurrentScope,
    paging: Paging,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status")] = None,
    company: Annotated[str | None, Query(description="Company slug")] = None,
    handover_id: Annotated[int | None, Query(description="Of this handover")] = None,
) -> DeliveryPage:
    """Webhook deliveries with every attempt (supervisors, admins, and a company its own)."""
    rows, total = deliveries.list_deliveries(
        db, scope=scope, status=status, company=company, handover_id=handover_id,
        offset=paging.offset, limit=paging.size,
    )  # fmt: skip
    items = [_delivery_read(r) for r in rows]
    return DeliveryPage(items=items, total=total, page=paging.page, size=paging.size)


@router.post("/damage/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead)
def redeliver(db: DbSession, scope: CurrentScope, delivery_id: int) -> DeliveryRead:
    """Send a delivery again: the same id and body, at the delivery job's next run."""
    delivery = deliveries.redeliver(db, scope=scope, delivery_id=delivery_id)
    rows, _total = deliveries.list_deliveries(db, scope=scope, handover_id=delivery.handover_id)
    return _delivery_read(next(r for r in rows if r.delivery.id == delivery.id))


@router.get("/damage/figures", response_model=FiguresRead)
def read_figures(
    db: DbSession,
    scope: CurrentScope,
    since: Annotated[str | None, Query(description="First month, YYYY-MM")] = None,
    until: Annotated[str | None, Query(description="Last month, YYYY-MM")] = None,
    company: Annotated[str | None, Query(description="Company slug")] = None,
) -> FiguresRead:
    """Damaged vehicles found and handed over per company and month, and time to collect."""
    default_since, default_until = figures.months_back(date.today(), 6)
    return figures.figures(
        db, scope=scope, since=since or default_since, until=until or default_until,
        company=company,
    )  # fmt: skip


def _agreement_read(slug: str, found: CompanyAgreement | None) -> AgreementRead:
    return AgreementRead(
        company=slug,
        collect_within_h=found.collect_within_h if found else service.DEFAULT_COLLECT_H,
        deliver_webhook=found.deliver_webhook if found else False,
        deliver_email=found.deliver_email if found else False,
        email=found.email if found else None,
        fleet_cap=found.fleet_cap if found else None,
    )


@router.get("/damage/agreements/{company}", response_model=AgreementRead)
def read_agreement(db: DbSession, scope: CurrentScope, company: str) -> AgreementRead:
    """A company's agreement: time to collect, delivery, fleet cap (a company: its own)."""
    service.require_viewer(scope)
    found = service.company_by_slug(db, scope=scope, slug=company)
    return _agreement_read(found.slug, agreements.get_agreement(db, company_id=found.id))


@router.put("/damage/agreements/{company}", response_model=AgreementRead)
def update_agreement(
    db: DbSession, scope: CurrentScope, company: str, data: AgreementUpdate
) -> AgreementRead:
    """Change a company's agreement (admins)."""
    found = service.company_by_slug(db, scope=scope, slug=company)
    saved = agreements.update_agreement(db, scope=scope, company=found, data=data)
    return _agreement_read(found.slug, saved)


def _webhook_read(slug: str, endpoint: WebhookEndpoint | None) -> WebhookRead:
    if endpoint is None:
        return WebhookRead(company=slug, url="", active=False, secret=None)
    return WebhookRead(
        company=slug, url=endpoint.url, active=endpoint.active, secret=endpoint.secret
    )


@router.get("/damage/webhooks/{company}", response_model=WebhookRead)
def read_webhook(db: DbSession, scope: CurrentScope, company: str) -> WebhookRead:
    """A company's webhook and its signing secret (admins, and the company itself)."""
    found = service.company_by_slug(db, scope=scope, slug=company)
    if scope.company_id is None:
        agreements.require_admin(scope)
    return _webhook_read(found.slug, agreements.get_endpoint(db, company_id=found.id))


@router.put("/damage/webhooks/{company}", response_model=WebhookRead)
def set_webhook(
    db: DbSession, scope: CurrentScope, company: str, data: WebhookUpdate
) -> WebhookRead:
    """Set a company's webhook (admins); a secret is made the first time or on ``rotate_secret``."""
    found = service.company_by_slug(db, scope=scope, slug=company)
    change = agreements.set_endpoint(db, scope=scope, company=found, data=data)
    return _webhook_read(found.slug, change.endpoint)


@router.get("/damage/batches/{batch_id}", response_model=HandoverPage)
def read_batch(request: Request, db: DbSession, scope: CurrentScope, batch_id: int) -> HandoverPage:
    """The handovers of one act (a company: its own acts)."""
    view = batches.get_batch_or_raise(db, scope=scope, batch_id=batch_id)
    items = present.handover_reads(db, view.rows, base_url=_base(request), now=utcnow())
    return HandoverPage(items=items, total=len(items), page=1, size=max(1, len(items)))
