"""The staff's damage pages (/damage): cases with filters and the overdue ones, a case with its
photos, map and history, handover acts, agreements and webhooks, the delivery log, the figures.

The companies' pages (/portal/handovers) live in ``portal_pages.py`` and are mounted here.
Forms post with the CSRF token; a refused action shows the error page, a refused settings form
comes back with its error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import service as cities_service
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput, TartipError
from tartip.damage import (
    agreements,
    batches,
    cases,
    deliveries,
    figures,
    portal_pages,
    present,
    service,
)
from tartip.damage.enums import DamageSource, DeliveryStatus, HandoverStatus
from tartip.damage.schemas import AgreementUpdate, PolicyUpdate, WebhookUpdate
from tartip.damage.service import HandoverFilter
from tartip.deps import DbSession, Page, PageContext, check_csrf_form

router = APIRouter(tags=["pages"], include_in_schema=False)
router.include_router(portal_pages.router)

PAGE_SIZE = 50
FormText = Annotated[str, Form()]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.get("/damage", response_class=HTMLResponse)
def index_page(
    page: Page,
    db: DbSession,
    status: Annotated[str, Query()] = "",
    company: Annotated[str, Query()] = "",
    source: Annotated[str, Query()] = "",
    overdue: Annotated[str, Query()] = "",
    p: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Damage cases: filters, the overdue handovers first in view, and the figures."""
    scope = page.require_user()
    now = utcnow()
    chosen = {"status": status, "company": company, "source": source, "overdue": overdue}
    filters = cases.CaseFilter(
        status=status if status in {*HandoverStatus, cases.AWAITING} else None,
        company=company or None,
        source=DamageSource(source) if source in DamageSource.__members__ else None,
        overdue=overdue == "1",
    )
    rows, total = cases.list_cases(
        db, scope=scope, filters=filters, offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE, now=now
    )
    late = service.list_handovers(db, scope=scope, filters=HandoverFilter(overdue=True), now=now)
    since, until = figures.months_back(date.today(), 6)
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    context = {
        "rows": rows,
        "total": total,
        "page_number": p,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "chosen": chosen,
        "statuses": [s.value for s in HandoverStatus],
        "sources": [s.value for s in DamageSource],
        "companies": companies,
        "company_names": {c.slug: c.name for c in companies},
        "overdue": late.rows,
        "figures": figures.figures(db, scope=scope, since=since, until=until),
        "now": now,
        "can_edit": scope.role in service.EDITORS,
        "is_admin": scope.role is Role.admin,
    }
    return page.render("damage/index.html", context)


@router.get("/damage/cases/{case_id}", response_class=HTMLResponse)
def case_page(page: Page, db: DbSession, case_id: int) -> Response:
    """One case: its reports and photos on a map, its handover and history, the actions."""
    scope = page.require_user()
    row = cases.get_case_or_raise(db, scope=scope, case_id=case_id)
    events = (
        service.history(db, handover_ids=[row.handover.id]).get(row.handover.id, [])
        if row.handover
        else []
    )
    context = {
        "row": row,
        "reports": present.case_reports(db, case_id=case_id),
        "photos": cases.photos(db, case_id=case_id),
        "events": events,
        "now": utcnow(),
        "overdue": row.handover is not None and service.is_overdue(row.handover, utcnow()),
        "companies": cities_service.list_companies(db, city_id=scope.city_id),
        "can_edit": scope.role in service.EDITORS,
    }
    return page.render("damage/case.html", context)


@router.post("/damage/cases/{case_id}/hand-over")
async def hand_over(
    request: Request, page: Page, db: DbSession, case_id: int, company: FormText = ""
) -> Response:
    """Name a waiting case's company and hand it over."""
    await check_csrf_form(request)
    scope = page.require_user()
    found = service.company_by_slug(db, scope=scope, slug=company)
    cases.hand_over_case(db, scope=scope, case_id=case_id, company=found)
    return RedirectResponse(f"/damage/cases/{case_id}", status_code=303)


@router.post("/damage/cases/{case_id}/cancel")
async def cancel_handover(
    request: Request, page: Page, db: DbSession, case_id: int, note: FormText = ""
) -> Response:
    """Withdraw a case's handover (a wrong report)."""
    await check_csrf_form(request)
    scope = page.require_user()
    row = cases.get_case_or_raise(db, scope=scope, case_id=case_id)
    if row.handover is None:
        raise InvalidInput("this case has not been handed over")
    service.cancel(db, scope=scope, handover_id=row.handover.id, note=note)
    return RedirectResponse(f"/damage/cases/{case_id}", status_code=303)


# ---- handover acts ---------------------------------------------------------------------------


@router.get("/damage/batches", response_class=HTMLResponse)
def batches_page(page: Page, db: DbSession, company: Annotated[str, Query()] = "") -> Response:
    """Handover acts, and a new act for one company's handovers not in an act yet."""
    scope = page.require_user()
    cases.require_staff(scope)
    chosen = service.company_by_slug(db, scope=scope, slug=company) if company else None
    open_rows = []
    if chosen is not None:
        filters = HandoverFilter(companies=(chosen.slug,), unbatched=True)
        open_rows = service.list_handovers(db, scope=scope, filters=filters, limit=500).rows
    context = {
        "batches": batches.list_batches(db, scope=scope),
        "companies": cities_service.list_companies(db, city_id=scope.city_id),
        "chosen": chosen,
        "open_rows": open_rows,
        "can_edit": scope.role in service.EDITORS,
    }
    return page.render("damage/batches.html", context)


@router.post("/damage/batches")
async def create_batch(
    request: Request,
    page: Page,
    db: DbSession,
    company: FormText = "",
    handover_ids: Annotated[list[str] | None, Form()] = None,
    handed_over_by: FormText = "",
    received_by: FormText = "",
    note: FormText = "",
) -> Response:
    """Make an act of the chosen handovers."""
    await check_csrf_form(request)
    scope = page.require_user()
    found = service.company_by_slug(db, scope=scope, slug=company)
    ids = [i for i in (_int(v) for v in handover_ids or []) if i is not None]
    batch = batches.create_batch(
        db, scope=scope, company=found, handover_ids=ids, handed_over_by=handed_over_by,
        received_by=received_by, note=note,
    )  # fmt: skip
    return RedirectResponse(f"/damage/batches/{batch.id}", status_code=303)


@router.get("/damage/batches/{batch_id}", response_class=HTMLResponse)
def act_page(request: Request, page: Page, db: DbSession, batch_id: int) -> Response:
    """The printable handover act: vehicles, photos, times, who handed over and who received."""
    scope = page.require_user()
    view = batches.get_batch_or_raise(db, scope=scope, batch_id=batch_id)
    more = present.extras(db, case_ids=[r.case.id for r in view.rows])
    context = {"view": view, "photos": more.photos, "base": str(request.base_url).rstrip("/")}
    return page.render("damage/act.html", context)


# ---- settings: agreements, webhooks, policy ----------------------------------------------------


def _settings_page(
    page: PageContext,
    db: Session,
    *,
    error: TartipError | None = None,
    secret: tuple[str, str] | None = None,
) -> Response:
    scope = page.require_user()
    agreements.require_admin(scope)
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    context = {
        "companies": companies,
        "agreements": {c.id: agreements.get_agreement(db, company_id=c.id) for c in companies},
        "endpoints": {c.id: agreements.get_endpoint(db, company_id=c.id) for c in companies},
        "policy": agreements.get_policy(db, city_id=scope.city_id),
        "error": error,
        "new_secret": secret,
        "default_collect_h": service.DEFAULT_COLLECT_H,
    }
    return page.render("damage/settings.html", context, error.status_code if error else 200)


@router.get("/damage/settings", response_class=HTMLResponse)
def settings_page(page: Page, db: DbSession) -> Response:
    """Each company's agreement and webhook, and the city's damage policy (admins)."""
    return _settings_page(page, db)


@router.post("/damage/settings/agreements/{company}", response_class=HTMLResponse)
async def save_agreement(
    request: Request,
    page: Page,
    db: DbSession,
    company: str,
    collect_within_h: FormText = "",
    deliver_webhook: FormText = "",
    deliver_email: FormText = "",
    email: FormText = "",
    fleet_cap: FormText = "",
) -> Response:
    """Save a company's agreement."""
    await check_csrf_form(request)
    scope = page.require_user()
    found = service.company_by_slug(db, scope=scope, slug=company)
    try:
        data = AgreementUpdate(
            collect_within_h=float(collect_within_h or service.DEFAULT_COLLECT_H),
            deliver_webhook=bool(deliver_webhook),
            deliver_email=bool(deliver_email),
            email=email,
            fleet_cap=_int(fleet_cap.strip()) if fleet_cap.strip() else None,
        )
        with db.begin_nested():
            agreements.update_agreement(db, scope=scope, company=found, data=data)
    except (ValueError, InvalidInput) as exc:
        error = exc if isinstance(exc, InvalidInput) else InvalidInput(f"{company}: {exc}")
        return _settings_page(page, db, error=error)
    return RedirectResponse("/damage/settings?saved=1", status_code=303)


@router.post("/damage/settings/webhooks/{company}", response_class=HTMLResponse)
async def save_webhook(
    request: Request,
    page: Page,
    db: DbSession,
    company: str,
    url: FormText = "",
    active: FormText = "",
    rotate_secret: FormText = "",
) -> Response:
    """Save a company's webhook; a new secret is shown once."""
    await check_csrf_form(request)
    scope = page.require_user()
    found = service.company_by_slug(db, scope=scope, slug=company)
    try:
        data = WebhookUpdate(url=url, active=bool(active), rotate_secret=bool(rotate_secret))
        with db.begin_nested():
            change = agreements.set_endpoint(db, scope=scope, company=found, data=data)
    except (ValueError, InvalidInput) as exc:
        error = exc if isinstance(exc, InvalidInput) else InvalidInput(f"{company}: {exc}")
        return _settings_page(page, db, error=error)
    made = (found.name, change.new_secret) if change.new_secret else None
    return _settings_page(page, db, secret=made)


@router.post("/damage/settings/policy", response_class=HTMLResponse)
async def save_policy(
    request: Request,
    page: Page,
    db: DbSession,
    disabled_after_h: FormText = "",
    escalation_emails: FormText = "",
) -> Response:
    """Save the city's damage policy."""
    await check_csrf_form(request)
    scope = page.require_user()
    try:
        data = PolicyUpdate(
            disabled_after_h=float(disabled_after_h), escalation_emails=escalation_emails
        )
        with db.begin_nested():
            agreements.update_policy(db, scope=scope, data=data)
    except (ValueError, InvalidInput) as exc:
        error = exc if isinstance(exc, InvalidInput) else InvalidInput(str(exc))
        return _settings_page(page, db, error=error)
    return RedirectResponse("/damage/settings?saved=1", status_code=303)


# ---- the delivery log --------------------------------------------------------------------------


@router.get("/damage/deliveries", response_class=HTMLResponse)
def deliveries_page(
    page: Page,
    db: DbSession,
    status: Annotated[str, Query()] = "",
    company: Annotated[str, Query()] = "",
    handover: Annotated[str, Query()] = "",
    p: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Every webhook delivery with its attempts, and "send again"."""
    scope = page.require_user()
    rows, total = deliveries.list_deliveries(
        db, scope=scope,
        status=DeliveryStatus(status) if status in DeliveryStatus.__members__ else None,
        company=company or None, handover_id=_int(handover),
        offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE,
    )  # fmt: skip
    context = {
        "rows": rows,
        "total": total,
        "page_number": p,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "chosen": {"status": status, "company": company, "handover": handover},
        "statuses": [s.value for s in DeliveryStatus],
        "companies": cities_service.list_companies(db, city_id=scope.city_id),
    }
    return page.render("damage/deliveries.html", context)


@router.post("/damage/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, page: Page, db: DbSession, delivery_id: int) -> Response:
    """Send a delivery again at the delivery job's next run."""
    await check_csrf_form(request)
    deliveries.redeliver(db, scope=page.require_user(), delivery_id=delivery_id)
    return RedirectResponse(f"/damage/deliveries?sent_again={delivery_id}", status_code=303)
