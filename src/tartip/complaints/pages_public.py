"""The public pages of complaints (no login): the form and the status page.

The public form is phone-sized first: a pin on the map or the phone's location, a category, a
photo, a description, optional contact with consent. It is protected by a per-address limit and a
honeypot field (no third-party captcha), and a refused form comes back with what was typed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tartip.complaints import access, auto, forms, present, reference
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import ComplaintCategory, ComplaintSource
from tartip.core.errors import Conflict, InvalidInput, TartipError
from tartip.core.ratelimit import RateLimiter
from tartip.deps import DbSession, Page, PageContext, SettingsDep, UploadRoute, check_csrf_form
from tartip.settings import Settings

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UploadRoute)
FormText = Annotated[str, Form()]
REFUSALS = (InvalidInput, Conflict)
LIMITER = "complaint_rate_limiter"


def limiter(request: Request, settings: Settings) -> RateLimiter:
    """The app's limiter of the public form (one per app, made on first use)."""
    found: RateLimiter | None = getattr(request.app.state, LIMITER, None)
    if found is None:
        found = RateLimiter(settings.complaint_rate_limit, settings.complaint_rate_window_s)
        setattr(request.app.state, LIMITER, found)
    return found


def client_key(request: Request) -> str:
    """The address a request came from (uvicorn's ``--proxy-headers`` behind a proxy)."""
    return request.client.host if request.client else "unknown"


def form_page(
    page: PageContext,
    *,
    form: forms.ComplaintForm,
    staff: bool,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The complaint form (public, or staff's entry), with what was typed and the errors."""
    retention = page.settings.complaint_contact_retention_days
    context = {
        "form": form.values(),
        "errors": errors or {},
        "staff": staff,
        "categories": [c.value for c in ComplaintCategory],
        "sources": [s.value for s in ComplaintSource],
        "retention_days": retention,
        "action": "/complaints/record" if staff else "/complaints/new",
    }
    return page.render("complaints/new.html", context, status_code=status_code)


@router.get("/complaints/new", response_class=HTMLResponse)
def new_form(page: Page) -> Response:
    """The public complaint form (no login)."""
    return form_page(page, form=forms.ComplaintForm(), staff=False)


async def read_form(
    request: Request,
) -> tuple[forms.ComplaintForm, UploadFile | None, str]:
    """The typed form, its photo (if one was chosen) and the honeypot's value."""
    data = await request.form()

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    form = forms.ComplaintForm(
        category=text("category"), lon=text("lon"), lat=text("lat"), address=text("address"),
        occurred_at=text("occurred_at"), description=text("description"),
        contact_name=text("contact_name"), contact_email=text("contact_email"),
        contact_phone=text("contact_phone"), contact_consent=text("contact_consent") == "on",
        source=text("source"),
    )  # fmt: skip
    photo = data.get("photo")
    chosen = photo if isinstance(photo, UploadFile) and photo.filename else None
    return form, chosen, text("website")


async def file_from_form(
    page: PageContext,
    db: Session,
    *,
    form: forms.ComplaintForm,
    photo: UploadFile | None,
    staff: bool,
) -> str:
    """Store a complaint typed into a form (and its photo); its reference, or the refusal."""
    config = ComplaintConfig.from_settings(page.settings)
    scope = page.require_user() if staff else None
    # A bigger file than allowed is never held whole: one byte more tells it is too big.
    content = await photo.read(config.photo_limits.max_bytes + 1) if photo is not None else None
    with db.begin_nested():  # a refused form keeps nothing
        data = form.to_create(timezone=page.city.timezone, locale=page.locale, staff=staff)
        complaint = auto.receive(
            db, scope=scope, city=page.city, data=data, config=config,
            photos=[content] if content is not None else [],
        )  # fmt: skip
    return complaint.reference


def refused(exc: TartipError, photo: UploadFile | None) -> dict[str, str]:
    """The form's errors, asking for the photo again when one was sent."""
    errors = forms.field_errors(exc)
    if photo is not None:
        errors.setdefault("photo", forms.PHOTO_AGAIN)
    return errors


@router.post("/complaints/new", response_class=HTMLResponse)
async def file_public(
    request: Request, page: Page, db: DbSession, settings: SettingsDep
) -> Response:
    """File a complaint from the public form; answers with the reference and its status page."""
    try:
        return await _file_public(request, page, db, settings)
    finally:
        await close_form(request)


async def close_form(request: Request) -> None:
    """Close the form's uploaded files (read here by hand, so FastAPI does not)."""
    await (await request.form()).close()


async def _file_public(
    request: Request, page: PageContext, db: Session, settings: Settings
) -> Response:
    await check_csrf_form(request)
    form, photo, honeypot = await read_form(request)
    key, now = client_key(request), time.monotonic()
    limits = limiter(request, settings)
    if limits.retry_after(key, now) > 0:
        errors = {"form": forms.TOO_MANY}
        return form_page(page, form=form, staff=False, errors=errors, status_code=429)
    if honeypot.strip():
        # A person never sees the field; whatever filled it is a script. Nothing is stored.
        limits.hit(key, now)
        errors = {"form": forms.NOT_ACCEPTED}
        return form_page(page, form=form, staff=False, errors=errors, status_code=400)
    try:
        ref = await file_from_form(page, db, form=form, photo=photo, staff=False)
    except REFUSALS as exc:
        errors = refused(exc, photo)
        return form_page(page, form=form, staff=False, errors=errors, status_code=exc.status_code)
    limits.hit(key, now)
    return RedirectResponse(f"/complaints/status/{ref}?new=1", status_code=303)


@router.get("/complaints/status", response_class=HTMLResponse)
def status_lookup(page: Page, ref: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Look a complaint up by its reference."""
    if ref.strip():
        return RedirectResponse(f"/complaints/status/{ref.strip().upper()}", status_code=303)
    return page.render("complaints/status.html", {"status": None, "asked": ""})


@router.get("/complaints/status/{ref}", response_class=HTMLResponse)
def status_page(
    page: Page, db: DbSession, ref: str, new: Annotated[bool, Query()] = False
) -> Response:
    """A complaint's status and answer for anyone with its reference: no personal data."""
    found = (
        access.get_public(db, city_id=page.city.id, reference=ref)
        if reference.looks_like(ref)
        else None
    )
    context = {
        "status": present.public_status(found) if found else None,
        "asked": ref,
        "new": new,
    }
    return page.render("complaints/status.html", context, status_code=200 if found else 404)
