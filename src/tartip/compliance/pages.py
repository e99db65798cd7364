"""The HTML pages of compliance: the violation list, the duty-zone board, rule adoption."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tartip.compliance import adoption, service
from tartip.compliance.enums import ViolationKind
from tartip.deps import DbSession, Page

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
