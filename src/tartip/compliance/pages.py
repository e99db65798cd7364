"""The HTML pages of compliance: violations, the duty-zone board, rule adoption, thresholds."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.auth.enums import Role
from tartip.compliance import adoption, service, threshold_form
from tartip.compliance.enums import ViolationKind
from tartip.compliance.thresholds import CITY
from tartip.core.errors import InvalidInput
from tartip.deps import DbSession, Page, PageContext, check_csrf_form
from tartip.zones.enums import ZoneKind

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 100


@router.get("/compliance/violations", response_class=HTMLResponse)
def violations_page(
    page: Page,
    db: DbSession,
    zone: Annotated[str | None, Query()] = None,
    company: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
    state: Annotated[str, Query()] = "open",
    p: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Violations in the caller's scope, filtered by zone, company, kind and state."""
    scope = page.require_user()
    filters = service.ViolationFilter(
        zone_id=int(zone) if zone and zone.isdigit() else None,
        companies=(company,) if company else (),
        kinds=(ViolationKind(kind),) if kind and kind in ViolationKind.__members__ else (),
        open={"open": True, "closed": False}.get(state),
    )
    found = service.list_violations(
        db, scope=scope, filters=filters, offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    context = {
        "rows": found.rows,
        "total": found.total,
        "page_number": p,
        "pages": max(1, -(-found.total // PAGE_SIZE)),
        "chosen": {
            "zone": zone or "",
            "company": company or "",
            "kind": kind or "",
            "state": state,
        },
        **service.filter_options(db, scope=scope),
    }
    return page.render("compliance/violations.html", context)


@router.get("/compliance/duty", response_class=HTMLResponse)
def duty_board_page(page: Page, db: DbSession) -> Response:
    """The duty-zone board: each duty zone's load, open violations and trend."""
    scope = page.require_user()
    return page.render("compliance/duty.html", {"board": service.duty_board(db, scope=scope)})


@router.get("/compliance/adoption", response_class=HTMLResponse)
def adoption_page(page: Page, db: DbSession) -> Response:
    """Which city rules each company has not put into its app yet."""
    scope = page.require_user()
    return page.render(
        "compliance/adoption.html", {"companies": adoption.rule_adoption(db, scope=scope)}
    )


def _render_thresholds(
    page: PageContext,
    overview: service.ThresholdOverview,
    *,
    saved: bool = False,
    submitted: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response:
    scope = page.require_user()
    chosen = overview.chosen
    context = {
        "overview": overview,
        "fields": threshold_form.FIELDS,
        "defaults": overview.settings.defaults,
        "city_values": overview.city,
        "overrides": [
            (o, threshold_form.summary(o.values)) for o in overview.settings.overrides if o.values
        ],
        "zone_names": {z.id: z.name for z in overview.zones},
        "kinds": list(ZoneKind),
        "level": chosen.level,
        "form_rows": threshold_form.rows(
            values=chosen.values,
            inherited=chosen.inherited,
            submitted=submitted,
            problems=error.problems if error else None,
        ),
        "error": error,
        "saved": saved,
        "can_edit": scope.role in (Role.admin, Role.supervisor),
        "to_text": threshold_form.to_text,
    }
    return page.render("compliance/thresholds.html", context, 422 if error else 200)


@router.get("/compliance/thresholds", response_class=HTMLResponse)
def thresholds_page(
    page: Page,
    db: DbSession,
    level: Annotated[str, Query()] = CITY,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    """The detection thresholds: defaults, the city's, per zone kind and per zone; one to edit."""
    overview = service.threshold_overview(db, scope=page.require_user(), level=level)
    return _render_thresholds(page, overview, saved=saved)


@router.post("/compliance/thresholds", response_class=HTMLResponse)
async def save_thresholds(request: Request, page: Page, db: DbSession) -> Response:
    """Replace one level's thresholds from the form; a refused form comes back with its errors."""
    await check_csrf_form(request)
    scope = page.require_user()
    scope.require(*service.THRESHOLD_EDITORS)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    level = form.get("level", CITY)
    values, problems = threshold_form.parse(form)
    try:
        if problems:
            raise InvalidInput("thresholds are not valid", problems=problems)
        service.set_thresholds(db, scope=scope, level=level, values=values)
    except InvalidInput as exc:
        if any(p.where == "path.level" for p in exc.problems):
            raise
        overview = service.threshold_overview(db, scope=scope, level=level)
        return _render_thresholds(page, overview, submitted=form, error=exc)
    return RedirectResponse(f"/compliance/thresholds?level={quote(level)}&saved=true", 303)
