"""Sign-in, sign-out and language choice for the web UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tartip.audit import service as audit_service
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.schemas import UserCreate
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.errors import Conflict, InvalidInput
from tartip.core.i18n import LOCALES
from tartip.deps import DbSession, Page, PageContext, check_csrf_form

router = APIRouter(tags=["pages"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after sign-in would help phishing.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(page: Page, next: str | None = None) -> Response:  # noqa: A002
    """The sign-in form."""
    return page.render("auth/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    page: Page,
    db: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    """Check the password and start a session."""
    await check_csrf_form(request)
    user = auth_service.authenticate(db, username=username.strip(), password=password)
    if user is None:
        context = {"next": _safe_next(next), "error": "Wrong username or password."}
        return page.render("auth/login.html", context, status_code=401)
    locale = request.session.get("locale")
    request.session.clear()  # a fresh session on sign-in: no fixation
    request.session["user_id"] = user.id
    if locale:
        request.session["locale"] = locale
    target = _safe_next(next)
    if user.role == Role.company_rep and target == "/":
        target = "/portal"  # a company's staff start in their portal, not on the city's map
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session."""
    await check_csrf_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/locale")
async def set_locale(
    request: Request,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    """Switch the UI language for this session."""
    await check_csrf_form(request)
    if locale in LOCALES:
        request.session["locale"] = locale
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(page: Page, db: DbSession) -> Response:
    """The caller's account: who they are and their API tokens."""
    scope = page.require_user()
    tokens = auth_service.list_tokens(db, user_id=scope.user_id or 0)
    return page.render("auth/account.html", {"tokens": tokens, "new_token": None})


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request, page: Page, db: DbSession, name: Annotated[str, Form()]
) -> Response:
    """Create an API token; its secret is shown on this page once."""
    await check_csrf_form(request)
    scope = page.require_user()
    assert page.user is not None
    _token, secret = auth_service.create_token(
        db, scope=scope, user=page.user, name=name.strip() or "token"
    )
    tokens = auth_service.list_tokens(db, user_id=page.user.id)
    return page.render("auth/account.html", {"tokens": tokens, "new_token": secret})


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, page: Page, db: DbSession, token_id: int) -> Response:
    """Revoke one of the caller's API tokens."""
    await check_csrf_form(request)
    auth_service.revoke_token(db, scope=page.require_user(), token_id=token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users(page: Page, db: DbSession) -> Response:
    """The people of the city and their roles (administrators only)."""
    scope = page.require_user()
    scope.require(Role.admin)
    return _users_page(page, db, scope, error=None)


def _users_page(page: PageContext, db: Session, scope: Scope, *, error: str | None) -> Response:
    companies = {c.id: c for c in cities_service.list_companies(db, city_id=scope.city_id)}
    return page.render(
        "auth/users.html",
        {
            "people": auth_service.list_users(db, city_id=scope.city_id),
            "companies": companies,
            "roles": list(Role),
            "error": error,
        },
        status_code=422 if error else 200,
    )


@router.post("/admin/users", response_class=HTMLResponse)
async def add_user(
    request: Request,
    page: Page,
    db: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    full_name: Annotated[str, Form()] = "",
    company_slug: Annotated[str, Form()] = "",
) -> Response:
    """Create a person (administrators only)."""
    await check_csrf_form(request)
    scope = page.require_user()
    scope.require(Role.admin)
    try:
        data = UserCreate(
            username=username.strip(),
            password=password,
            role=Role(role),
            full_name=full_name.strip(),
            company_slug=company_slug or None,
        )
        auth_service.create(db, scope=scope, city=page.city, data=data)
    except (ValidationError, ValueError, InvalidInput, Conflict) as exc:
        return _users_page(page, db, scope, error=_message(exc))
    return RedirectResponse("/admin/users", status_code=303)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, InvalidInput | Conflict):
        details = "; ".join(f"{p.where}: {p.message}" for p in exc.problems)
        return f"{exc.message} ({details})" if details else exc.message
    return str(exc)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(page: Page, db: DbSession, entity_type: str | None = None) -> Response:
    """The audit trail of the city: every change a person made (administrators only)."""
    scope = page.require_user()
    scope.require(Role.admin)
    entries = audit_service.list_entries(
        db, city_id=scope.city_id, entity_type=entity_type or None, limit=300
    )
    return page.render("auth/audit.html", {"entries": entries, "entity_type": entity_type or ""})
