"""The JSON API of the dashboards: the live picture and the city view's trends and maps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, SettingsDep
from tartip.fleet import service as fleet_service
from tartip.reports import dashboards, dashboards_city, dashboards_maps
from tartip.reports.dashboards_city import DEFAULT_BUCKETS, MAX_BUCKETS, Step
from tartip.reports.dashboards_maps import DEFAULT_HEX_M, MapLayer
from tartip.reports.dashboards_schemas import (
    DistrictComplaintsRead,
    HexMapRead,
    LiveRead,
    TrendsRead,
)
from tartip.settings import Settings

router = APIRouter(
    tags=["dashboards"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not see this dashboard"},
        422: {"model": ErrorBody, "description": "A query parameter is out of range"},
    },
)

First = Annotated[str | None, Query(description="First local day, YYYY-MM-DD (default: 4 weeks)")]
Last = Annotated[str | None, Query(description="Last local day, YYYY-MM-DD (default: today)")]


def stale_before(settings: Settings) -> datetime:
    """Vehicle rows not rewritten since this moment count as stale (the live map's rule)."""
    return fleet_service.stale_cutoff(
        now=utcnow(), stale_after_s=settings.stale_after_s, refresh_s=settings.live_refresh_s
    )


@router.get("/dashboards/live", response_model=LiveRead)
def read_live(db: DbSession, scope: CurrentScope, settings: SettingsDep) -> LiveRead:
    """The live operations picture: fleet, violations, tasks and scouts, duty zones, feeds."""
    board = dashboards.live(db, scope=scope, stale_before=stale_before(settings))
    return LiveRead.from_board(board)


@router.get("/dashboards/city/trends", response_model=TrendsRead)
def read_trends(
    db: DbSession,
    scope: CurrentScope,
    step: Annotated[Step, Query(description="week (Monday to Sunday) or month")] = Step.week,
    count: Annotated[
        int | None, Query(ge=1, le=MAX_BUCKETS, description="How many weeks or months, to now")
    ] = None,
) -> TrendsRead:
    """Put in order, violations, complaints, handovers and trips per week or month."""
    city = fleet_service.get_city_or_raise(db, scope=scope)
    found = dashboards_city.trends(
        db,
        scope=scope,
        city=city,
        step=step,
        count=count or DEFAULT_BUCKETS[step.value],
        now=utcnow(),
    )
    return TrendsRead.from_trends(found)


@router.get("/dashboards/city/violations-hex", response_model=HexMapRead)
def read_violations_hex(
    db: DbSession,
    scope: CurrentScope,
    first: First = None,
    last: Last = None,
    layer: Annotated[MapLayer, Query(description="clutter, parking or all")] = MapLayer.clutter,
    hour: Annotated[
        int | None, Query(ge=0, le=23, description="Local hour of opening; none: all day")
    ] = None,
    size: Annotated[int, Query(description="Hexagon size in metres")] = DEFAULT_HEX_M,
) -> HexMapRead:
    """Violations opened in the period in hexagonal bins (GeoJSON), with counts by hour."""
    city = fleet_service.get_city_or_raise(db, scope=scope)
    period = dashboards_maps.map_period(
        first=first, last=last, now=utcnow(), timezone=city.timezone
    )
    found = dashboards_maps.hex_map(
        db, scope=scope, city=city, period=period, layer=layer, hour=hour, size_m=size
    )
    return HexMapRead.from_map(found)


@router.get("/dashboards/city/complaints-by-district", response_model=DistrictComplaintsRead)
def read_complaints_by_district(
    db: DbSession,
    scope: CurrentScope,
    first: First = None,
    last: Last = None,
    locale: Annotated[str, Query(description="Language of district names: ru, kk or en")] = "en",
) -> DistrictComplaintsRead:
    """Complaints received in the period by the district of their place."""
    city = fleet_service.get_city_or_raise(db, scope=scope)
    period = dashboards_maps.map_period(
        first=first, last=last, now=utcnow(), timezone=city.timezone
    )
    found = dashboards_maps.district_complaints(
        db, scope=scope, city=city, period=period, now=utcnow(), locale=locale
    )
    return DistrictComplaintsRead.from_found(found)
