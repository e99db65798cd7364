"""Sign-in, sign-out and language choice for the web UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth import service as auth_service
from tartip.core.i18n import LOCALES
from tartip.deps import DbSession, Page, check_csrf_form

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
    return RedirectResponse(_safe_next(next), status_code=303)


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
