"""Request dependencies: the database session, the caller, their scope, paging."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from tartip.auth import service as auth_service
from tartip.auth.enums import INTAKE_ROLES, Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core import photos
from tartip.core.errors import Forbidden, InvalidInput, NotFound, Problem, Unauthenticated
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
            record_bookkeeping(request, session)
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


def record_bookkeeping(request: Request, db: Session) -> None:
    """Write what a request noted about itself once its answer is made (an API token's use)."""
    touch_token_id = getattr(request.state, "touch_token_id", None)
    if touch_token_id is not None:
        auth_service.touch_token(db, token_id=touch_token_id)


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
            if request.method in UNSAFE_METHODS:
                auth_service.touch_token(db, token_id=token.id)
            else:
                # Written after the answer is made (get_db): a read never fails on bookkeeping.
                request.state.touch_token_id = token.id
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


# Outside bodies' accounts (government, police) may use these paths only (docs/decisions/0050).
INTAKE_PATHS = (
    "/api/v1/complaints",
    "/api/v1/me",
    "/complaints",
    "/account",
    "/api/v1/safety/incidents",  # the police send incidents (tartip.safety.api)
)


def check_intake(role: str, path: str) -> None:
    """Refuse a government or police account anything but the complaints it files."""
    if role in INTAKE_ROLES and not path.startswith(INTAKE_PATHS):
        raise Forbidden("this account files and follows complaints only")


def get_scope(request: Request, user: CurrentUser, db: DbSession, settings: SettingsDep) -> Scope:
    """What the caller may see."""
    check_intake(user.role, request.url.path)
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
        check_intake(self.scope.role, self.request.url.path)
        return self.scope


Page = Annotated[PageContext, Depends(PageContext)]


def pick_locale(chosen: str | None, accept_language: str | None, default: str) -> str:
    """The caller's chosen locale, else the browser's preference, else the city's."""
    if chosen in LOCALES:
        return chosen
    return i18n_pick(accept_language, default)


@dataclass(frozen=True)
class CompanyView:
    """One company's portal as the caller sees it.

    ``scope`` is limited to the company (``company_id`` set, role ``company_rep``), so every
    service shows exactly what the company's own staff see. ``read_only`` is true when the
    unified operator's supervisor or admin looks at it (``?company=<slug>``): pages hide their
    answer buttons, and ``writable()`` refuses changes.
    """

    scope: Scope
    company: Company
    read_only: bool

    def context(self) -> dict[str, object]:
        """What ``portal/layout.html`` reads: the company and whether the view is read-only."""
        return {"portal_company": self.company, "portal_readonly": self.read_only}

    def writable(self) -> Scope:
        """The company representative's own scope, or ``Forbidden`` for a read-only view."""
        if self.read_only:
            raise Forbidden("the operator's view of a company's portal is read-only")
        return self.scope


PORTAL_VIEWERS = (Role.admin, Role.supervisor)


def company_view(db: Session, *, scope: Scope, slug: str | None) -> CompanyView | None:
    """The portal a caller may open: a representative's own company, or for supervisors and
    admins the company ``slug`` names (None when they named none); anyone else is refused."""
    if scope.role is Role.company_rep and scope.company_id is not None:
        company = db.get(Company, scope.company_id)
        if company is None or (slug and slug != company.slug):
            raise Forbidden("a company representative sees only their own company's portal")
        return CompanyView(scope=scope, company=company, read_only=False)
    if scope.role not in PORTAL_VIEWERS:
        raise Forbidden("the companies' portal is for company representatives and supervisors")
    if not slug:
        return None
    company = cities_service.get_company(db, city_id=scope.city_id, slug=slug)
    if company is None:
        raise NotFound(f"no company {slug!r} in this city")
    view_scope = Scope(
        user_id=scope.user_id,
        username=scope.username,
        role=Role.company_rep,
        city_id=scope.city_id,
        company_id=company.id,
    )
    return CompanyView(scope=view_scope, company=company, read_only=True)


def get_company_view(
    page: Page,
    db: DbSession,
    company: Annotated[
        str | None, Query(description="Company slug (supervisors and admins only)")
    ] = None,
) -> CompanyView:
    """The company whose portal page is asked for (see ``company_view``)."""
    view = company_view(db, scope=page.require_user(), slug=company)
    if view is None:
        raise InvalidInput(
            "choose a company: add ?company=<slug> to the address",
            problems=[Problem("query.company", "required for the operator's staff")],
        )
    return view


PortalView = Annotated[CompanyView, Depends(get_company_view)]


def photo_limits(settings: Settings) -> photos.PhotoLimits:
    """What an uploaded photo may be, as configured."""
    return photos.PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        long_side=settings.photo_long_side,
    )


def photo_response(settings: Settings, relative: str, *, thumbnail: bool = False) -> FileResponse:
    """A stored photo, or its thumbnail, as a private JPEG (``NotFound`` if the file is gone).

    Callers check first that the caller may see the photo; this only serves the file.
    """
    path = photos.find(settings.media_roots, relative)
    if thumbnail:
        path = photos.thumbnail(path, side=settings.photo_thumb_side)
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type="image/jpeg", headers=headers)


class UploadRoute(APIRoute):
    """A route class that refuses a multipart body over ``Settings.upload_max_bytes`` (413).

    FastAPI spools an upload to disk before any dependency runs, so a size check in the handler
    comes after the whole body was taken in. This one runs first: a declared Content-Length over
    the limit is refused before a byte is read, and a body without one is counted as it streams
    and cut off at the limit. Use it for a router that takes uploads:
    ``APIRouter(route_class=UploadRoute)``; other requests pass untouched.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, behind the upload cap."""
        handler = super().get_route_handler()

        async def capped(request: Request) -> Response:
            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                return await handler(request)
            limit = get_settings(request).upload_max_bytes
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise photos.too_large(limit, what="the upload")
            try:
                return await handler(Request(request.scope, _counted(request.receive, limit)))
            except HTTPException as exc:
                # FastAPI reports any failure while parsing a form as a 400; say what it was.
                if isinstance(exc.__cause__, photos.UploadTooLarge):
                    raise exc.__cause__ from None
                raise

        return capped


def _counted(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise photos.too_large(limit, what="the upload")
        return message

    return counted
