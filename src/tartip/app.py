"""The web application: API under /api/v1, HTML pages under /, vendored static assets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from tartip import __version__
from tartip.auth import api as auth_api
from tartip.auth import pages as auth_pages
from tartip.auth.enums import Role
from tartip.complaints import api as complaints_api
from tartip.complaints import pages as complaints_pages
from tartip.compliance import api as compliance_api
from tartip.compliance import pages as compliance_pages
from tartip.core.errors import TartipError, Unauthenticated
from tartip.core.schemas import ErrorBody, ProblemDetail
from tartip.damage import api as damage_api
from tartip.damage import pages as damage_pages
from tartip.db.engine import make_engine
from tartip.db.session import make_session_factory
from tartip.deps import OptionalUser
from tartip.events import api as events_api
from tartip.events import pages as events_pages
from tartip.events import service as events_service
from tartip.feeds import api as feeds_api
from tartip.feeds import pages as feeds_pages
from tartip.fleet import api as fleet_api
from tartip.fleet import pages as fleet_pages
from tartip.ops import api as ops_api
from tartip.ops import pages as ops_pages
from tartip.ops.pages_staff import EventOptions
from tartip.portal import api as portal_api
from tartip.portal import pages as portal_pages
from tartip.public import api as public_api
from tartip.public import pages as public_pages
from tartip.reports import api as reports_api
from tartip.reports import pages as reports_pages
from tartip.safety import api as safety_api
from tartip.safety import pages as safety_pages
from tartip.settings import Settings
from tartip.trips import api as trips_api
from tartip.trips import pages as trips_pages
from tartip.web.templating import STATIC_DIR, render
from tartip.worker import Worker, start_in_thread
from tartip.zones import api as zones_api
from tartip.zones import pages as zones_pages

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings, *, run_jobs: bool | None = None) -> FastAPI:
    """The Tartip web app for ``settings``; ``run_jobs`` runs the worker in-process."""
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    writer_session_factory = make_session_factory(engine, writer=True)
    in_process = settings.run_jobs_in_process if run_jobs is None else run_jobs

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = None
        if in_process:
            _thread, stop = start_in_thread(Worker(settings, writer_session_factory))
        yield
        if stop is not None:
            stop.set()
        engine.dispose()

    app = FastAPI(
        title="Tartip",
        version=__version__,
        description="The unified micromobility operator's API: live fleets, feeds, access.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.writer_session_factory = writer_session_factory
    # The roster offers mass events for event duty; ops may not import events, so it is given this.
    event_options: EventOptions = events_service.duty_options
    app.state.event_options = event_options
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="tartip_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.session_https_only,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(TartipError, _tartip_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_api_route("/", _home, include_in_schema=False)
    app.add_api_route("/healthz", _healthz, include_in_schema=False)
    return app


API_ROUTERS = [
    auth_api.router,
    fleet_api.router,
    feeds_api.router,
    zones_api.router,
    compliance_api.router,
    events_api.router,
    ops_api.router,
    complaints_api.router,
    damage_api.router,
    trips_api.router,
    safety_api.router,
    reports_api.router,
    portal_api.router,
    public_api.router,
]
PAGE_ROUTERS = [
    auth_pages.router,
    fleet_pages.router,
    feeds_pages.router,
    zones_pages.router,
    compliance_pages.router,
    events_pages.router,
    ops_pages.router,
    complaints_pages.router,
    damage_pages.router,
    trips_pages.router,
    safety_pages.router,
    reports_pages.router,
    portal_pages.router,
    public_pages.router,
]


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIX) and "text/html" in request.headers.get(
        "accept", "text/html"
    )


async def _tartip_error(request: Request, exc: TartipError) -> Response:
    if _wants_html(request):
        if isinstance(exc, Unauthenticated):
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        settings: Settings = request.app.state.settings
        return render(
            request,
            "error.html",
            {
                "status_code": exc.status_code,
                "message": exc.message,
                "user": None,
                "csrf_token": "",
            },
            locale=settings.default_locale,
            timezone="UTC",
            status_code=exc.status_code,
        )
    body = ErrorBody(
        code=exc.code,
        message=exc.message,
        problems=[ProblemDetail(where=p.where, message=p.message) for p in exc.problems],
    )
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
    problems = [
        ProblemDetail(where=".".join(str(p) for p in err["loc"]), message=err["msg"])
        for err in exc.errors()
    ]
    body = ErrorBody(code="invalid_input", message="the request is not valid", problems=problems)
    return JSONResponse(body.model_dump(), status_code=422)


def _home(user: OptionalUser) -> Response:
    # A company's staff start in their portal, the city's people on the live map; anyone else
    # is a citizen first (the public page links to sign-in for staff).
    if user is None:
        target = "/public"
    else:
        target = "/portal" if user.role == Role.company_rep else "/map"
    return RedirectResponse(target, status_code=303)


async def _healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
