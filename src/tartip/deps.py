"""Request dependencies: the database session, the caller, their scope, paging."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterator, Mapping
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core.errors import Forbidden, Unauthenticated
from tartip.core.i18n import LOCALES
from tartip.core.i18n import pick_locale as i18n_pick
from tartip.settings import Settings
from tartip.web.templating import render

log = logging.getLogger(__name__)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """A session for one request: committed when the handler succeeds, else rolled back.

    A read may still write a little bookkeeping (an API token's last use). On SQLite that write
    can meet a newer writer and fail; the answer is already made, so only the bookkeeping is
    dropped, never the answer.
    """
    writes = request.method in UNSAFE_METHODS
    factory = (
        request.app.state.writer_session_factory if writes else request.app.state.session_factory
    )
    with factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except OperationalError:
            session.rollback()
            if writes:
                raise
            log.info("a read's bookkeeping write was dropped: the database was busy")


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Committed before the response is sent ("function" scope; FastAPI's default ends a yield
# dependency after sending): a client that reads right after a 201 (the zone editor opening the
# zone it saved) must find the row, and a failed commit must not follow a success response.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (double-submit: forms echo it back)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf_form(request: Request) -> None:
    """Raise ``Forbidden`` unless the request echoes the session's CSRF token."""
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")


async def get_optional_user(request: Request, db: DbSession) -> User | None:
    """The caller: by ``Authorization: Bearer`` token, else by session cookie, else None.

    Requests that change something on a session's authority must carry the CSRF token; token
    requests need none (a browser never sends a bearer token on its own).
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = auth_service.find_token(db, token=header[7:].strip())
        if found is None:
            raise Unauthenticated("unknown or revoked API token")
        token, token_user = found
        if auth_service.touch_due(token):
            auth_service.touch_token(db, token_id=token.id)
        return token_user
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    user = auth_service.get(db, user_id=int(user_id))
    if user is None or not user.is_active:
        request.session.clear()
        return None
    if request.method in UNSAFE_METHODS:
        await check_csrf_form(request)
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    """The signed-in caller, or 401."""
    if user is None:
        raise Unauthenticated("sign in, or send an API token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_scope(user: CurrentUser, db: DbSession, settings: SettingsDep) -> Scope:
    """What the caller may see."""
    if user.city_id is not None:  # everyone but a city-less admin: no lookup per request
        return auth_service.scope_for(user, default_city_id=user.city_id)
    city = cities_service.get_by_slug_or_raise(db, slug=settings.default_city)
    return auth_service.scope_for(user, default_city_id=city.id)


CurrentScope = Annotated[Scope, Depends(get_scope)]


def require_roles(*roles: Role) -> object:
    """A dependency that lets only ``roles`` (and admins) through."""

    def check(scope: CurrentScope) -> Scope:
        scope.require(*roles)
        return scope

    return Depends(check)


class PageParams:
    """Paging query parameters: ``page`` (from 1) and ``size`` (at most 1,000)."""

    def __init__(
        self,
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> None:
        self.page = page
        self.size = size

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.size


Paging = Annotated[PageParams, Depends(PageParams)]


class PageContext:
    """What every HTML page needs: the caller, their locale, the city's time zone, CSRF."""

    def __init__(
        self, request: Request, user: OptionalUser, db: DbSession, settings: SettingsDep
    ) -> None:
        self.request = request
        self.user = user
        self.city = cities_service.get_by_slug_or_raise(db, slug=settings.default_city)
        self.scope = (
            auth_service.scope_for(user, default_city_id=self.city.id) if user is not None else None
        )
        self.settings = settings
        self.locale = pick_locale(
            request.session.get("locale") or (user.locale if user else None),
            request.headers.get("accept-language"),
            self.city.default_locale,
        )

    def render(
        self, name: str, context: Mapping[str, object], status_code: int = 200
    ) -> HTMLResponse:
        """Render a page for this caller."""
        return render(
            self.request,
            name,
            {
                **context,
                "user": self.user,
                "scope": self.scope,
                "city": self.city,
                "csrf_token": csrf_token(self.request),
                "settings": self.settings,
            },
            locale=self.locale,
            timezone=self.city.timezone,
            status_code=status_code,
        )

    def require_user(self) -> Scope:
        """The caller's scope, or ``Unauthenticated`` (pages redirect to the login form)."""
        if self.scope is None:
            raise Unauthenticated("sign in to see this page")
        return self.scope


Page = Annotated[PageContext, Depends(PageContext)]


def pick_locale(chosen: str | None, accept_language: str | None, default: str) -> str:
    """The caller's chosen locale, else the browser's preference, else the city's."""
    if chosen in LOCALES:
        return chosen
    return i18n_pick(accept_language, default)
