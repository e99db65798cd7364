"""The web pages of the companies' portal: overview, violations, feeds, rules, API tokens.

A company representative sees their own company; a supervisor or admin opens any company's
portal read-only with ``?company=<slug>`` (``tartip.deps.PortalView``). Handovers and complaints
are served by their own domains' pages under /portal, extending ``portal/layout.html``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth import service as auth_service
from tartip.cities import service as cities_service
from tartip.compliance import service as compliance_service
from tartip.compliance.enums import ViolationKind
from tartip.compliance.schemas import ViolationProperties
from tartip.core.clock import utcnow
from tartip.deps import (
    CompanyView,
    DbSession,
    Page,
    PageContext,
    PortalView,
    SettingsDep,
    check_csrf_form,
    company_view,
)
from tartip.fleet import service as fleet_service
from tartip.portal import present, service

router = APIRouter(include_in_schema=False)


def _query(view: CompanyView) -> str:
    # A supervisor's view keeps its ?company= on every link; a representative's needs none.
    return f"?company={view.company.slug}" if view.read_only else ""


def _render(
    page: PageContext, view: CompanyView, name: str, section: str, **context: object
) -> Response:
    return page.render(
        name, {**view.context(), "portal_section": section, "q": _query(view), **context}
    )


@router.get("/portal", response_class=HTMLResponse)
def overview_page(
    page: Page,
    db: DbSession,
    settings: SettingsDep,
    company: Annotated[str | None, Query()] = None,
) -> Response:
    """The company's state at a glance; for the operator's staff, a choice of company first."""
    scope = page.require_user()
    view = company_view(db, scope=scope, slug=company)
    if view is None:
        companies = cities_service.list_companies(db, city_id=scope.city_id)
        return page.render("portal/choose.html", {"companies": companies})
    stale_before = fleet_service.stale_cutoff(
        now=utcnow(), stale_after_s=settings.stale_after_s, refresh_s=settings.live_refresh_s
    )
    found = service.overview(db, scope=view.scope, company=view.company, stale_before=stale_before)
    return _render(page, view, "portal/overview.html", "overview", overview=found)


@router.get("/portal/violations", response_class=HTMLResponse)
def violations_page(
    page: Page,
    db: DbSession,
    view: PortalView,
    kind: Annotated[str | None, Query()] = None,
) -> Response:
    """The company's open violations and those closed lately, on a map and in a list."""
    chosen = ViolationKind(kind) if kind and kind in ViolationKind.__members__ else None
    found = service.violations(db, scope=view.scope, now=utcnow(), kind=chosen)
    geojson = present.violations_geojson(found.open.rows, query=_query(view))
    return _render(
        page,
        view,
        "portal/violations.html",
        "violations",
        found=found,
        geojson=geojson,
        kinds=list(ViolationKind),
        kind=chosen.value if chosen else "",
    )


@router.get("/portal/violations/{violation_id}", response_class=HTMLResponse)
def violation_page(page: Page, db: DbSession, view: PortalView, violation_id: int) -> Response:
    """One of the company's violations with its evidence (another company's is a 404)."""
    row = compliance_service.get_or_raise(db, scope=view.scope, violation_id=violation_id)
    geojson = present.violations_geojson([row], query=_query(view))
    return _render(
        page,
        view,
        "portal/violation.html",
        "violations",
        row=row,
        vehicles=ViolationProperties.from_row(row).vehicles,
        geojson=geojson,
    )


@router.get("/portal/feeds", response_class=HTMLResponse)
def feeds_page(page: Page, db: DbSession, view: PortalView) -> Response:
    """The company's feeds: health, latest fetches, errors and schema problems."""
    return _render(
        page, view, "portal/feeds.html", "feeds", feeds=service.feeds(db, scope=view.scope)
    )


@router.get("/portal/rules", response_class=HTMLResponse)
def rules_page(page: Page, db: DbSession, view: PortalView) -> Response:
    """The rules published to the company: zones in force, the city's limits, open endpoints."""
    found = service.rules(db, scope=view.scope, company=view.company, now=utcnow())
    return _render(
        page,
        view,
        "portal/rules.html",
        "rules",
        found=found,
        geojson=present.rules_geojson(found.rules),
    )


@router.get("/portal/tokens", response_class=HTMLResponse)
def tokens_page(page: Page, db: DbSession, view: PortalView) -> Response:
    """The representative's API tokens for the company API (not in a read-only view)."""
    scope = view.writable()
    tokens = auth_service.list_tokens(db, user_id=scope.user_id or 0)
    return _render(page, view, "portal/tokens.html", "tokens", tokens=tokens, new_token=None)


@router.post("/portal/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request,
    page: Page,
    db: DbSession,
    view: PortalView,
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    """Create an API token for the company API; its secret is shown on this page once."""
    await check_csrf_form(request)
    scope = view.writable()
    assert page.user is not None  # writable() is a signed-in representative's scope
    _token, secret = auth_service.create_token(
        db, scope=scope, user=page.user, name=name.strip() or "token"
    )
    tokens = auth_service.list_tokens(db, user_id=page.user.id)
    return _render(page, view, "portal/tokens.html", "tokens", tokens=tokens, new_token=secret)


@router.post("/portal/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, db: DbSession, view: PortalView, token_id: int
) -> Response:
    """Revoke one of the representative's API tokens."""
    await check_csrf_form(request)
    auth_service.revoke_token(db, scope=view.writable(), token_id=token_id)
    return RedirectResponse("/portal/tokens", status_code=303)
