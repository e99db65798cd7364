"""Staff's pages of complaints: the list (overdue ones stand out), a complaint (map of matched
vehicles, confirm or correct, route, answer), the figures, staff's entry of a call or a letter,
and the e-mail outbox. City viewers read; supervisors and admins act.

Every action posts a form (with the CSRF token), runs in a savepoint and comes back to the
complaint; a refusal shows the complaint again with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tartip.auth.enums import INTAKE_ROLES, Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.complaints import access, figures, forms, matches, policy, present, routing
from tartip.complaints import pages_public as pages
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
)
from tartip.complaints.schemas import CommentCreate, RouteRequest, StatusChange
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden, InvalidInput, TartipError
from tartip.deps import DbSession, Page, PageContext, UploadRoute
from tartip.notify import service as notify
from tartip.ops.staff import zone_names

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UploadRoute)
FormText = Annotated[str, Form()]
PAGE_SIZE = 50
# Sentences the complaint page shows for a form it cannot use (translated in the template).
NO_VEHICLE = "Choose a company and type the vehicle's code."
NO_COMPANY = "Choose a company."
NO_TEXT = "Write something first."
NO_ACTION = "Choose what to do."
LIST_ROLES = frozenset({Role.admin, Role.supervisor, Role.city_viewer}) | INTAKE_ROLES


def _list_scope(page: PageContext) -> Scope:
    scope = page.require_user()
    if scope.company_id is not None:
        raise Forbidden("a company sees its complaints in its portal: /portal/complaints")
    if scope.role not in LIST_ROLES:
        raise Forbidden("complaints are handled by supervisors")
    return scope


@router.get("/complaints", response_class=HTMLResponse)
def list_page(
    page: Page,
    db: DbSession,
    status: Annotated[str, Query()] = "open",
    source: Annotated[str, Query()] = "",
    category: Annotated[str, Query()] = "",
    company: Annotated[str, Query()] = "",
    overdue: Annotated[bool, Query()] = False,
    q: Annotated[str, Query(max_length=40)] = "",
    p: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Complaints with filters; open ones by due time, overdue ones marked."""
    scope = _list_scope(page)
    filters = access.ComplaintFilter(
        statuses=(ComplaintStatus(status),) if status in set(ComplaintStatus) else (),
        open_only=status == "open",
        sources=(ComplaintSource(source),) if source in set(ComplaintSource) else (),
        categories=(ComplaintCategory(category),) if category in set(ComplaintCategory) else (),
        company=company or None, overdue_only=overdue, search=q,
    )  # fmt: skip
    found, total = access.list_complaints(
        db, scope=scope, filters=filters, offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    now = utcnow()
    context = {
        "rows": found,
        "overdue": {c.id for c in found if present.is_overdue(c, now)},
        "zones": zone_names(
            db, city_id=scope.city_id, zone_ids=[c.zone_id for c in found if c.zone_id]
        ),
        "total": total,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "page_number": p,
        "chosen": {"status": status, "source": source, "category": category,
                   "company": company, "overdue": overdue, "q": q},
        "companies": cities_service.list_companies(db, city_id=scope.city_id),
        "can_edit": access.can_edit(scope),
        "auto_route": policy.auto_route_on(db, city_id=scope.city_id),
    }  # fmt: skip
    return page.render("complaints/list.html", context)


@router.post("/complaints/policy")
def policy_action(page: Page, db: DbSession, auto_route: FormText = "") -> Response:
    """Switch automatic routing of new complaints on or off (admins)."""
    scope = page.require_user()
    policy.set_auto_route(db, scope=scope, auto_route=auto_route == "on")
    return RedirectResponse("/complaints", status_code=303)


@router.get("/complaints/record", response_class=HTMLResponse)
def record_form(page: Page) -> Response:
    """Staff's entry of a complaint that came by phone or letter."""
    access.require_editor(page.require_user())
    return pages.form_page(page, form=forms.ComplaintForm(source="citizen"), staff=True)


@router.post("/complaints/record", response_class=HTMLResponse)
async def record(request: Request, page: Page, db: DbSession) -> Response:
    """Store a complaint staff typed in (source, contact and time as told)."""
    access.require_editor(page.require_user())
    form, photo, _honeypot = await pages.read_form(request)
    try:
        ref = await pages.file_from_form(page, db, form=form, photo=photo, staff=True)
    except pages.REFUSALS as exc:
        errors = pages.refused(exc, photo)
        return pages.form_page(
            page, form=form, staff=True, errors=errors, status_code=exc.status_code
        )
    finally:
        await pages.close_form(request)
    return RedirectResponse(f"/complaints/{ref}?done=created", status_code=303)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise InvalidInput("use YYYY-MM-DD days") from exc


@router.get("/complaints/figures", response_class=HTMLResponse)
def figures_page(
    page: Page,
    db: DbSession,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """Figures by source, category, company and zone: counts, overdue, time to resolve."""
    scope = page.require_user()
    now = utcnow()
    start, end = figures.period(_day(since), _day(until), timezone=page.city.timezone, now=now)
    found = figures.figures(db, scope=scope, since=start, until=end, now=now)
    # The days the form shows: the first, and the last one included (the day before ``end``).
    first, last = start.date(), (end - timedelta(days=1)).date()
    context = {"figures": found, "since": first.isoformat(), "until": last.isoformat()}
    return page.render("complaints/figures.html", context)


@router.get("/complaints/outbox", response_class=HTMLResponse)
def outbox_page(page: Page, db: DbSession) -> Response:
    """The e-mail outbox (admins): what waits, what was sent, what failed and why."""
    scope = page.require_user()
    scope.require(Role.admin)
    context = {
        "messages": notify.list_emails(db, city_id=scope.city_id),
        "counts": notify.counts(db, city_id=scope.city_id),
        "smtp_configured": bool(page.settings.smtp_host),
    }
    return page.render("complaints/outbox.html", context)


def detail(
    page: PageContext,
    db: Session,
    ref: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """A complaint as staff (or a city viewer, or its filer) see it."""
    scope = _list_scope(page)
    complaint = access.get_or_raise(db, scope=scope, reference=ref)
    read = present.complaint_read(db, scope=scope, complaint=complaint)
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    context = {
        "c": read,
        "can_edit": access.can_edit(scope),
        "companies": companies,
        "colours": {co.slug: co.colour for co in companies},
        "emails": notify.list_emails(db, city_id=scope.city_id, ref=complaint.reference)
        if access.sees_contact(scope)
        else [],
        "error": error,
        "done": page.request.query_params.get("done", ""),
    }
    return page.render("complaints/detail.html", context, status_code=status_code)


@router.get("/complaints/{ref}", response_class=HTMLResponse)
def detail_page(page: Page, db: DbSession, ref: str) -> Response:
    """One complaint: place and matched vehicles on a map, history, threads, actions."""
    return detail(page, db, ref)


def _act(
    page: PageContext, db: Session, ref: str, done: str, action: Callable[[], object]
) -> Response:
    """Run an action in a savepoint; back to the complaint, or the complaint with the refusal."""
    try:
        with db.begin_nested():
            action()
    except pages.REFUSALS as exc:
        return detail(page, db, ref, error=_reason(exc), status_code=exc.status_code)
    return RedirectResponse(f"/complaints/{ref}?done={done}", status_code=303)


def _reason(exc: TartipError) -> str:
    details = "; ".join(
        f"{p.where}: {p.message}" for p in exc.problems if p.message and p.message != exc.message
    )
    return f"{exc.message} ({details})" if details else exc.message


@router.post("/complaints/{ref}/status", response_class=HTMLResponse)
def status_action(
    page: Page, db: DbSession, ref: str, action: FormText = "", text: FormText = ""
) -> Response:
    """Take in work, resolve with an answer, reject or re-open with a reason."""
    scope = page.require_user()
    config = ComplaintConfig.from_settings(page.settings)
    if action not in {a.value for a in ComplaintAction}:
        return detail(page, db, ref, error=NO_ACTION, status_code=422)
    data = StatusChange(action=ComplaintAction(action), text=text)
    return _act(
        page, db, ref, action,
        lambda: complaints.change_status(
            db, scope=scope, reference=ref, data=data, config=config
        ),
    )  # fmt: skip


@router.post("/complaints/{ref}/route", response_class=HTMLResponse)
def route_action(
    page: Page,
    db: DbSession,
    ref: str,
    task: FormText = "",
    companies: FormText = "",
    damage: FormText = "",
) -> Response:
    """Send to a scout's task, the companies concerned and/or the damage desk."""
    scope = page.require_user()
    data = RouteRequest(task=task == "on", companies=companies == "on", damage=damage == "on")
    return _act(
        page, db, ref, "routed",
        lambda: routing.route(db, scope=scope, reference=ref, data=data),
    )  # fmt: skip


@router.post("/complaints/{ref}/vehicles", response_class=HTMLResponse)
def vehicle_action(
    page: Page,
    db: DbSession,
    ref: str,
    action: FormText = "",
    company: FormText = "",
    vehicle_id: FormText = "",
) -> Response:
    """Confirm or reject a matched vehicle, or add one by its code."""
    scope = page.require_user()
    if action not in ("confirm", "reject", "add") or not vehicle_id.strip() or not company:
        return detail(page, db, ref, error=NO_VEHICLE, status_code=422)
    return _act(
        page, db, ref, "vehicle",
        lambda: matches.decide_vehicle(
            db, scope=scope, reference=ref, action=action, company=company,
            vehicle_id=vehicle_id,
        ),
    )  # fmt: skip


@router.post("/complaints/{ref}/companies", response_class=HTMLResponse)
def company_action(
    page: Page, db: DbSession, ref: str, action: FormText = "", company: FormText = ""
) -> Response:
    """Confirm, add or remove a company."""
    scope = page.require_user()
    if action not in ("confirm", "add", "remove") or not company:
        return detail(page, db, ref, error=NO_COMPANY, status_code=422)
    return _act(
        page, db, ref, "company",
        lambda: matches.decide_company(
            db, scope=scope, reference=ref, action=action, company=company
        ),
    )  # fmt: skip


@router.post("/complaints/{ref}/match", response_class=HTMLResponse)
def match_action(page: Page, db: DbSession, ref: str) -> Response:
    """Look for the vehicles again."""
    scope = page.require_user()
    config = ComplaintConfig.from_settings(page.settings)
    return _act(
        page, db, ref, "matched",
        lambda: matches.rematch(db, scope=scope, reference=ref, config=config),
    )  # fmt: skip


@router.post("/complaints/{ref}/comments", response_class=HTMLResponse)
def comment_action(
    page: Page, db: DbSession, ref: str, body: FormText = "", company: FormText = ""
) -> Response:
    """A note (internal) or a message to one company."""
    scope = page.require_user()
    if not body.strip():
        return detail(page, db, ref, error=NO_TEXT, status_code=422)
    data = CommentCreate(body=body[:4000], company=company or None)
    return _act(
        page, db, ref, "comment",
        lambda: routing.comment(db, scope=scope, reference=ref, data=data),
    )  # fmt: skip
