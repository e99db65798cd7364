"""The companies' portal pages for damage handovers (/portal/handovers).

A company representative sees their company's handovers and answers them (acknowledge, collect,
resolve); a supervisor or admin may look at a company's with ``?company=<slug>``, read-only
(``deps.PortalView``). Rivals' handovers answer 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tartip.core.clock import utcnow
from tartip.core.errors import NotFound
from tartip.damage import present, service
from tartip.damage.enums import CollectedVia, HandoverAction, HandoverStatus
from tartip.damage.service import HandoverFilter
from tartip.deps import DbSession, Page, PortalView, check_csrf_form

router = APIRouter(tags=["pages"], include_in_schema=False)
PAGE_SIZE = 50
# The list's tabs: what the company still has to do first.
TABS = {
    "todo": (HandoverStatus.handed_over, HandoverStatus.acknowledged),
    "collected": (HandoverStatus.collected,),
    "done": (HandoverStatus.resolved, HandoverStatus.cancelled),
    "all": (),
}


@router.get("/portal/handovers", response_class=HTMLResponse)
def handovers_page(
    page: Page,
    db: DbSession,
    view: PortalView,
    tab: Annotated[str, Query()] = "todo",
    p: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The company's damaged vehicles: to collect first, overdue ones marked."""
    tab = tab if tab in TABS else "todo"
    now = utcnow()
    found = service.list_handovers(
        db, scope=view.scope, filters=HandoverFilter(statuses=TABS[tab]),
        offset=(p - 1) * PAGE_SIZE, limit=PAGE_SIZE, now=now,
    )  # fmt: skip
    overdue = service.overdue_count(db, scope=view.scope, now=now)
    reads = present.handover_reads(db, found.rows, base_url="", now=now)
    context = {
        **view.context(),
        "portal_section": "handovers",
        "items": reads,
        "total": found.total,
        "tab": tab,
        "tabs": list(TABS),
        "overdue_count": overdue,
        "page_number": p,
        "pages": max(1, -(-found.total // PAGE_SIZE)),
    }
    return page.render("portal/handovers.html", context)


@router.get("/portal/handovers/{handover_id}", response_class=HTMLResponse)
def handover_page(page: Page, db: DbSession, view: PortalView, handover_id: int) -> Response:
    """One handover: photos, the place on a map, its history, and the company's answers."""
    row = service.get_or_raise(db, scope=view.scope, handover_id=handover_id)
    detail = present.handover_detail(db, row=row, base_url="", now=utcnow())
    context = {
        **view.context(),
        "portal_section": "handovers",
        "h": detail,
        "can_answer": not view.read_only,
    }
    return page.render("portal/handover.html", context)


@router.post("/portal/handovers/{handover_id}/{action}")
async def answer(
    request: Request,
    db: DbSession,
    view: PortalView,
    handover_id: int,
    action: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The company's answer from its portal (acknowledge, collect or resolve)."""
    await check_csrf_form(request)
    if action not in HandoverAction.__members__:
        raise NotFound(f"no such answer {action!r}")
    service.answer(
        db, scope=view.writable(), handover_id=handover_id, action=HandoverAction(action),
        via=CollectedVia.portal, note=note,
    )  # fmt: skip
    return RedirectResponse(f"/portal/handovers/{handover_id}", status_code=303)
