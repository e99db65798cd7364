"""The JSON API of the live fleet: vehicles, clusters, counts, companies and the caller's city.

The map page reads these same endpoints; it has no private ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging, SettingsDep
from tartip.fleet import service as fleet_service
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.schemas import (
    CityFeature,
    ClusterFeatureCollection,
    CompanyRead,
    FleetSummary,
    Link,
    VehicleDetailFeature,
    VehicleFeature,
    VehicleFeatureCollection,
)
from tartip.fleet.service import BBox, VehicleFilter

# Errors are converted to ErrorBody by app.py; saying so here keeps the OpenAPI document honest.
router = APIRouter(
    tags=["fleet"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        422: {"model": ErrorBody, "description": "A parameter is not valid"},
    },
)

BBOX_HELP = "minlon,minlat,maxlon,maxlat in WGS84, e.g. 76.85,43.20,77.00,43.30"


def get_stale_before(settings: SettingsDep) -> datetime:
    """Rows not rewritten since this moment count as stale."""
    return fleet_service.stale_cutoff(
        now=utcnow(), stale_after_s=settings.stale_after_s, refresh_s=settings.live_refresh_s
    )


StaleBefore = Annotated[datetime, Depends(get_stale_before)]


def get_vehicle_filter(
    company: Annotated[
        list[str] | None, Query(description="Company slugs; repeat for several")
    ] = None,
    status: Annotated[
        list[VehicleStatus] | None, Query(description="Statuses; repeat for several")
    ] = None,
    stale: Annotated[
        bool | None, Query(description="true: stale vehicles only; false: fresh only")
    ] = None,
    bbox: Annotated[str | None, Query(description=BBOX_HELP)] = None,
    in_feed_only: Annotated[
        bool, Query(description="false: also vehicles that recently left the feed")
    ] = True,
) -> VehicleFilter:
    """The vehicle filters of a request, checked."""
    return VehicleFilter(
        companies=tuple(company or ()),
        statuses=tuple(status or ()),
        stale=stale,
        bbox=BBox.parse(bbox) if bbox is not None else None,
        in_feed_only=in_feed_only,
    )


Filters = Annotated[VehicleFilter, Depends(get_vehicle_filter)]


def _links(request: Request, *, page: int, size: int, total: int) -> list[Link]:
    links = [Link(rel="self", href=str(request.url))]
    if page * size < total:
        links.append(Link(rel="next", href=str(request.url.include_query_params(page=page + 1))))
    if page > 1:
        links.append(Link(rel="prev", href=str(request.url.include_query_params(page=page - 1))))
    return links


@router.get("/vehicles", response_model=VehicleFeatureCollection)
def list_vehicles(
    request: Request,
    db: DbSession,
    scope: CurrentScope,
    paging: Paging,
    filters: Filters,
    stale_before: StaleBefore,
) -> VehicleFeatureCollection:
    """Vehicles in the caller's scope matching the filters, one page, as GeoJSON."""
    found = fleet_service.list_vehicles(
        db,
        scope=scope,
        filters=filters,
        stale_before=stale_before,
        offset=paging.offset,
        limit=paging.size,
    )
    return VehicleFeatureCollection(
        features=[VehicleFeature.from_row(r) for r in found.rows],
        total=found.total,
        page=paging.page,
        size=paging.size,
        links=_links(request, page=paging.page, size=paging.size, total=found.total),
    )


@router.get("/vehicles/clusters", response_model=ClusterFeatureCollection)
def cluster_vehicles(
    db: DbSession,
    scope: CurrentScope,
    filters: Filters,
    stale_before: StaleBefore,
    zoom: Annotated[int, Query(ge=0, le=fleet_service.MAX_ZOOM, description="Map zoom level")],
) -> ClusterFeatureCollection:
    """Matching vehicles counted per grid cell sized for ``zoom``, for zoomed-out views."""
    grid = fleet_service.cluster(
        db, scope=scope, filters=filters, zoom=zoom, stale_before=stale_before
    )
    return ClusterFeatureCollection.from_grid(grid)


@router.get("/vehicles/{vehicle_id}", response_model=VehicleDetailFeature)
def read_vehicle(
    db: DbSession, scope: CurrentScope, stale_before: StaleBefore, vehicle_id: int
) -> VehicleDetailFeature:
    """One vehicle with its type and recent history (404 outside the caller's scope)."""
    detail = fleet_service.get_or_raise(
        db, scope=scope, vehicle_id=vehicle_id, stale_before=stale_before
    )
    return VehicleDetailFeature.from_detail(detail)


@router.get("/fleet/summary", response_model=FleetSummary)
def read_summary(db: DbSession, scope: CurrentScope, stale_before: StaleBefore) -> FleetSummary:
    """Vehicles in the feed per company and status, with the stale ones counted apart."""
    counts = fleet_service.summarise(db, scope=scope, stale_before=stale_before)
    return FleetSummary.from_counts(counts)


@router.get("/companies", response_model=list[CompanyRead])
def list_companies(db: DbSession, scope: CurrentScope) -> list[CompanyRead]:
    """The sharing companies of the caller's city (a representative sees only their own)."""
    return [CompanyRead.model_validate(c) for c in fleet_service.list_companies(db, scope=scope)]


@router.get("/cities/current", response_model=CityFeature)
def read_current_city(db: DbSession, scope: CurrentScope) -> CityFeature:
    """The caller's city with its boundary, as a GeoJSON Feature."""
    return CityFeature.from_city(fleet_service.get_city_or_raise(db, scope=scope))
