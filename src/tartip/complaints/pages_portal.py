"""The companies' portal pages of complaints: the complaints routed to the company, and its
thread on each, where it answers (a supervisor's view of a company's portal is read-only).

A company sees its own vehicles on a complaint and its own thread, never another company's, and
never who complained.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tartip.complaints import access, present, routing
from tartip.complaints.schemas import CommentCreate
from tartip.core.errors import InvalidInput
from tartip.deps import CompanyView, DbSession, Page, PageContext, PortalView, UploadRoute

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UploadRoute)
FormText = Annotated[str, Form()]


def _query(view: CompanyView) -> str:
    return f"?company={view.company.slug}" if view.read_only else ""


@router.get("/portal/complaints", response_class=HTMLResponse)
def portal_list(
    page: Page,
    db: DbSession,
    view: PortalView,
    open_only: Annotated[bool, Query()] = True,
) -> Response:
    """The complaints routed to the company: open ones by due time."""
    found, total = access.list_complaints(
        db, scope=view.scope, filters=access.ComplaintFilter(open_only=open_only), limit=200
    )
    context = {
        **view.context(),
        "portal_section": "complaints",
        "q": _query(view),
        "rows": present.complaint_reads(db, scope=view.scope, complaints=found),
        "total": total,
        "open_only": open_only,
    }
    return page.render("portal/complaints.html", context)


def _detail(
    page: PageContext, db: Session, view: CompanyView, ref: str, *, error: str = "", code: int = 200
) -> HTMLResponse:
    complaint = access.get_or_raise(db, scope=view.scope, reference=ref)
    context = {
        **view.context(),
        "portal_section": "complaints",
        "q": _query(view),
        "c": present.complaint_read(db, scope=view.scope, complaint=complaint),
        "error": error,
        "done": page.request.query_params.get("done", ""),
    }
    return page.render("portal/complaint.html", context, status_code=code)


@router.get("/portal/complaints/{ref}", response_class=HTMLResponse)
def portal_detail(page: Page, db: DbSession, view: PortalView, ref: str) -> Response:
    """One complaint as the company sees it, with its thread and an answer box."""
    return _detail(page, db, view, ref)


@router.post("/portal/complaints/{ref}/answer", response_class=HTMLResponse)
def portal_answer(
    page: Page, db: DbSession, view: PortalView, ref: str, body: FormText = ""
) -> Response:
    """The company's answer or comment on a complaint routed to it."""
    scope = view.writable()
    if not body.strip():
        return _detail(page, db, view, ref, error="Write something first.", code=422)
    try:
        with db.begin_nested():
            routing.comment(db, scope=scope, reference=ref, data=CommentCreate(body=body[:4000]))
    except InvalidInput as exc:
        return _detail(page, db, view, ref, error=exc.message, code=exc.status_code)
    return RedirectResponse(f"/portal/complaints/{ref}?done=answer", status_code=303)
