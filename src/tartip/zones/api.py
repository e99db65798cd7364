"""The JSON API of zones: list, draw, change, publish, retire, history, GeoJSON import and export.

Supervisors and admins change zones; every signed-in role reads them, company representatives
only published ones. The rules published to the companies (GBFS, MDS) are open: ``publication``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from tartip.auth.enums import Role
from tartip.core.clock import utcnow
from tartip.core.errors import NotFound
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging
from tartip.zones import present, publication, transfer
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.schemas import (
    ImportReport,
    ZoneCreate,
    ZoneFeatureCollection,
    ZoneHistory,
    ZonePage,
    ZoneRead,
    ZoneUpdate,
    ZoneVersionRead,
)

zones_router = APIRouter(
    tags=["zones"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        409: {"model": ErrorBody, "description": "Not possible in the zone's phase"},
        422: {"model": ErrorBody, "description": "The input is not valid; problems say where"},
    },
)


def get_city_context(db: DbSession, scope: CurrentScope) -> zones_service.CityContext:
    """The caller's city, as checking and presenting zones need it."""
    return zones_service.city_context(db, city_id=scope.city_id)


Ctx = Annotated[zones_service.CityContext, Depends(get_city_context)]
Kinds = Annotated[list[ZoneKind] | None, Query(description="Zone kinds; repeat for several")]
Phases = Annotated[list[ZonePhase] | None, Query(description="Phases; repeat for several")]


@zones_router.get("/zones", response_model=ZonePage)
def list_zones(
    db: DbSession,
    scope: CurrentScope,
    ctx: Ctx,
    paging: Paging,
    kind: Kinds = None,
    phase: Phases = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name or code")] = None,
) -> ZonePage:
    """The zones of the caller's city, by kind and name."""
    zones, total = zones_service.list_zones(
        db,
        scope=scope,
        kinds=kind or (),
        phases=phase or (),
        search=q,
        offset=paging.offset,
        limit=paging.size,
    )
    items = [present.zone_read(z, ctx=ctx, scope=scope) for z in zones]
    return ZonePage(items=items, total=total, page=paging.page, size=paging.size)


@zones_router.post("/zones", response_model=ZoneRead, status_code=201)
def create_zone(db: DbSession, scope: CurrentScope, ctx: Ctx, data: ZoneCreate) -> ZoneRead:
    """Draw a new zone; it is a draft until published."""
    zone = zones_service.create(db, scope=scope, data=data, ctx=ctx)
    return present.zone_read(zone, ctx=ctx, scope=scope)


@zones_router.get(
    "/zones/export.geojson",
    response_model=ZoneFeatureCollection,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def export_zones(
    db: DbSession,
    scope: CurrentScope,
    ctx: Ctx,
    kind: Kinds = None,
    phase: Phases = None,
    buffered: Annotated[
        bool, Query(description="Point zones as their disc polygons (one geometry type for GIS)")
    ] = False,
) -> Response:
    """The zones as a GeoJSON file that QGIS opens (WGS84, RFC 7946 ring order)."""
    zones, _total = zones_service.list_zones(db, scope=scope, kinds=kind or (), phases=phase or ())
    collection = present.feature_collection(zones, ctx=ctx, scope=scope, buffered=buffered)
    return Response(
        collection.model_dump_json(),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="zones.geojson"'},
    )


@zones_router.post("/zones/import", response_model=ImportReport)
def import_zones(
    db: DbSession,
    scope: CurrentScope,
    file: Annotated[UploadFile, File(description="A GeoJSON FeatureCollection")],
    dry_run: Annotated[bool, Query(description="Check and report; write nothing")] = False,
    publish: Annotated[bool, Query(description="Publish the zones at once")] = False,
) -> ImportReport:
    """Import zones from GeoJSON: all or nothing, every problem named with its feature."""
    raw = file.file.read(transfer.MAX_IMPORT_BYTES + 1)
    return transfer.import_zones(db, scope=scope, raw=raw, dry_run=dry_run, publish=publish)


@zones_router.get("/zones/{zone_id}", response_model=ZoneRead)
def read_zone(db: DbSession, scope: CurrentScope, ctx: Ctx, zone_id: int) -> ZoneRead:
    """One zone."""
    zone = zones_service.get_or_raise(db, scope=scope, zone_id=zone_id)
    return present.zone_read(zone, ctx=ctx, scope=scope)


@zones_router.patch("/zones/{zone_id}", response_model=ZoneRead)
def update_zone(
    db: DbSession, scope: CurrentScope, ctx: Ctx, zone_id: int, data: ZoneUpdate
) -> ZoneRead:
    """Change a zone; a published zone's change is in force at once as a new version."""
    zone = zones_service.update(db, scope=scope, zone_id=zone_id, data=data)
    return present.zone_read(zone, ctx=ctx, scope=scope)


@zones_router.delete("/zones/{zone_id}", status_code=204)
def delete_zone(db: DbSession, scope: CurrentScope, zone_id: int) -> Response:
    """Delete a draft that was never published."""
    zones_service.discard(db, scope=scope, zone_id=zone_id)
    return Response(status_code=204)


@zones_router.post("/zones/{zone_id}/publish", response_model=ZoneRead)
def publish_zone(db: DbSession, scope: CurrentScope, ctx: Ctx, zone_id: int) -> ZoneRead:
    """Publish a draft: in force from now, and published to the companies."""
    zone = zones_service.publish(db, scope=scope, zone_id=zone_id)
    return present.zone_read(zone, ctx=ctx, scope=scope)


@zones_router.post("/zones/{zone_id}/retire", response_model=ZoneRead)
def retire_zone(db: DbSession, scope: CurrentScope, ctx: Ctx, zone_id: int) -> ZoneRead:
    """Retire a zone: no longer in force from now; its history stays."""
    zone = zones_service.retire(db, scope=scope, zone_id=zone_id)
    return present.zone_read(zone, ctx=ctx, scope=scope)


@zones_router.get("/zones/{zone_id}/history", response_model=ZoneHistory)
def zone_history(db: DbSession, scope: CurrentScope, zone_id: int) -> ZoneHistory:
    """A zone's published versions and every change people made to it (not for companies)."""
    scope.require(Role.supervisor, Role.scout, Role.technician, Role.city_viewer)
    versions = zones_service.list_versions(db, scope=scope, zone_id=zone_id)
    changes = zones_service.list_changes(db, scope=scope, zone_id=zone_id)
    return ZoneHistory(
        zone_id=zone_id,
        versions=[present.version_read(v) for v in versions],
        changes=[present.change_read(c, scope=scope) for c in changes],
    )


@zones_router.get("/zones/{zone_id}/version", response_model=ZoneVersionRead)
def zone_version_at(
    db: DbSession,
    scope: CurrentScope,
    zone_id: int,
    at: Annotated[datetime | None, Query(description="A moment (ISO 8601 with offset)")] = None,
) -> ZoneVersionRead:
    """The version of a zone that was in force at a moment (default: now)."""
    moment = at or utcnow()
    if moment.tzinfo is None:
        raise NotFound("give the moment with its offset, e.g. 2025-06-01T12:00:00+05:00")
    version = zones_service.version_at(db, scope=scope, zone_id=zone_id, at=moment)
    if version is None:
        raise NotFound(f"zone {zone_id} had no version in force at {moment.isoformat()}")
    return present.version_read(version)


# The module's one router: zones for signed-in callers, and the open publication endpoints.
router = APIRouter()
router.include_router(zones_router)
router.include_router(publication.router)
