"""The HTML pages of zones: the list (filters, import, export) and the map editor with history.

The editor is a shell: ``static/js/zones.js`` draws with the vendored Leaflet-Geoman and talks to
the same JSON API as any client (``zones/api.py``), sending the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tartip.auth.enums import Role
from tartip.deps import DbSession, Page
from tartip.zones import present, transfer
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind, ZonePhase

router = APIRouter(tags=["pages"], include_in_schema=False)
HISTORY_ROLES = frozenset(
    {Role.admin, Role.supervisor, Role.scout, Role.technician, Role.city_viewer}
)


def _filters(kind: str | None, phase: str | None) -> tuple[list[ZoneKind], list[ZonePhase]]:
    kinds = [ZoneKind(kind)] if kind is not None and kind in ZoneKind.__members__ else []
    phases = [ZonePhase(phase)] if phase is not None and phase in ZonePhase.__members__ else []
    return kinds, phases


@router.get("/zones", response_class=HTMLResponse)
def zones_page(
    page: Page,
    db: DbSession,
    kind: Annotated[str | None, Query()] = None,
    phase: Annotated[str | None, Query()] = None,
) -> Response:
    """The zones of the city, filterable by kind and phase."""
    scope = page.require_user()
    kinds, phases = _filters(kind, phase)
    zones, total = zones_service.list_zones(db, scope=scope, kinds=kinds, phases=phases, limit=500)
    context = {
        "zones": zones,
        "total": total,
        "kinds": list(ZoneKind),
        "phases": list(ZonePhase),
        "kind": kind or "",
        "phase": phase or "",
        "can_edit": scope.role in (Role.admin, Role.supervisor),
        "max_import_mb": transfer.MAX_IMPORT_BYTES // (1024 * 1024),
    }
    return page.render("zones/index.html", context)


@router.get("/zones/rows", response_class=HTMLResponse)
def zone_rows(
    page: Page,
    db: DbSession,
    kind: Annotated[str | None, Query()] = None,
    phase: Annotated[str | None, Query()] = None,
) -> Response:
    """The table rows of the zone list (an htmx partial)."""
    scope = page.require_user()
    kinds, phases = _filters(kind, phase)
    zones, total = zones_service.list_zones(db, scope=scope, kinds=kinds, phases=phases, limit=500)
    return page.render("zones/_rows.html", {"zones": zones, "total": total})


@router.get("/zones/new", response_class=HTMLResponse)
def new_zone(page: Page) -> Response:
    """The map editor for a new zone (supervisors and admins)."""
    scope = page.require_user()
    scope.require(Role.supervisor)
    return page.render("zones/edit.html", {"zone": None, "kinds": list(ZoneKind), "can_edit": True})


@router.get("/zones/{zone_id}", response_class=HTMLResponse)
def zone_page(page: Page, db: DbSession, zone_id: int) -> Response:
    """One zone on the map: its rule, life cycle and history."""
    scope = page.require_user()
    zone = zones_service.get_or_raise(db, scope=scope, zone_id=zone_id)
    ctx = zones_service.city_context(db, city_id=scope.city_id)
    versions, changes = [], []
    if scope.role in HISTORY_ROLES:
        versions = zones_service.list_versions(db, scope=scope, zone_id=zone.id)
        changes = zones_service.list_changes(db, scope=scope, zone_id=zone.id)
    context = {
        "zone": present.zone_read(zone, ctx=ctx, scope=scope).model_dump(mode="json"),
        "kinds": list(ZoneKind),
        "versions": versions,
        "changes": changes,
        "can_edit": scope.role in (Role.admin, Role.supervisor) and zone.phase != ZonePhase.retired,
    }
    return page.render("zones/edit.html", context)
