"""API schemas of the live fleet: vehicles and clusters as GeoJSON, counts, companies, the city.

GeoJSON coordinates are ``[longitude, latitude]`` in WGS84 (RFC 7946). Times are aware UTC; the
web UI shows them in the city's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from tartip.cities.models import City
from tartip.core.geo import geometry_to_geojson
from tartip.core.schemas import TartipModel
from tartip.fleet import service as fleet_service
from tartip.fleet.enums import ChangeKind, VehicleStatus

BBoxTuple = tuple[float, float, float, float]


class PointGeometry(TartipModel):
    """A GeoJSON Point: ``[longitude, latitude]``."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]


class MultiPolygonGeometry(TartipModel):
    """A GeoJSON MultiPolygon (rings of ``[longitude, latitude]``)."""

    type: Literal["MultiPolygon"] = "MultiPolygon"
    coordinates: list[list[list[tuple[float, float]]]]


class Link(TartipModel):
    """A link to a related page of the same list."""

    rel: Literal["self", "next", "prev"]
    href: str


class CompanyRead(TartipModel):
    """A sharing company as the API shows it."""

    id: int
    slug: str
    name: str
    colour: str = Field(description="CSS colour of its vehicles on the map")


class VehicleProperties(TartipModel):
    """What the map needs to draw and filter one vehicle."""

    id: int = Field(description="Tartip's id of this row (stable while the vehicle stands still)")
    vehicle_id: str = Field(description="The company feed's id (GBFS rotates it after each trip)")
    company: str = Field(description="The company's slug")
    company_id: int
    status: VehicleStatus
    stale: bool = Field(description="The feed is down or stale, or the row was not refreshed")
    in_feed: bool
    vehicle_type_id: str | None
    current_range_meters: float | None
    current_fuel_percent: float | None = Field(description="Battery charge, 0 to 1, as GBFS")
    station_id: str | None
    last_reported: datetime | None = Field(description="When the company says it last reported")
    last_seen_at: datetime = Field(description="The last poll whose snapshot contained it")

    @classmethod
    def from_row(cls, row: fleet_service.VehicleRow) -> VehicleProperties:
        """Properties of a listed vehicle."""
        v = row.vehicle
        return cls(
            id=v.id,
            vehicle_id=v.vehicle_id,
            company=row.company.slug,
            company_id=row.company.id,
            status=VehicleStatus(v.status),
            stale=row.stale,
            in_feed=v.in_feed,
            vehicle_type_id=v.vehicle_type_id,
            current_range_meters=v.current_range_meters,
            current_fuel_percent=v.current_fuel_percent,
            station_id=v.station_id,
            last_reported=v.last_reported,
            last_seen_at=v.last_seen_at,
        )


class VehicleFeature(TartipModel):
    """One vehicle as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointGeometry
    properties: VehicleProperties

    @classmethod
    def from_row(cls, row: fleet_service.VehicleRow) -> VehicleFeature:
        """The Feature of a listed vehicle."""
        return cls(
            id=row.vehicle.id,
            geometry=PointGeometry(coordinates=(row.vehicle.lon, row.vehicle.lat)),
            properties=VehicleProperties.from_row(row),
        )


class VehicleFeatureCollection(TartipModel):
    """One page of vehicles as a GeoJSON FeatureCollection, with paging."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[VehicleFeature]
    total: int = Field(description="Vehicles matching the filters, on every page")
    page: int
    size: int
    links: list[Link]


class VehicleTypeRead(TartipModel):
    """A kind of vehicle as its company publishes it."""

    vehicle_type_id: str
    form_factor: str
    propulsion_type: str
    name: str | None
    max_range_meters: float | None


class VehicleChangeRead(TartipModel):
    """One change between two snapshots of the company's feed."""

    kind: ChangeKind
    at: datetime
    lon: float
    lat: float
    status: VehicleStatus
    previous_status: VehicleStatus | None
    moved_m: float | None


class VehicleDetailProperties(VehicleProperties):
    """A vehicle's properties with its type, first sighting and recent history (newest first)."""

    first_seen_at: datetime
    vehicle_type: VehicleTypeRead | None
    history: list[VehicleChangeRead]


class VehicleDetailFeature(TartipModel):
    """One vehicle with its history, as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointGeometry
    properties: VehicleDetailProperties

    @classmethod
    def from_detail(cls, detail: fleet_service.VehicleDetail) -> VehicleDetailFeature:
        """The Feature of one vehicle's detail."""
        v = detail.row.vehicle
        base = VehicleProperties.from_row(detail.row).model_dump()
        vehicle_type = detail.vehicle_type
        properties = VehicleDetailProperties(
            **base,
            first_seen_at=v.first_seen_at,
            vehicle_type=VehicleTypeRead.model_validate(vehicle_type) if vehicle_type else None,
            history=[VehicleChangeRead.model_validate(c) for c in detail.history],
        )
        return cls(
            id=v.id, geometry=PointGeometry(coordinates=(v.lon, v.lat)), properties=properties
        )


class ClusterProperties(TartipModel):
    """The vehicles of one grid cell: how many, of which companies, and the cell's box."""

    count: int
    companies: dict[str, int] = Field(description="Vehicles per company slug")
    cell: BBoxTuple = Field(description="The cell: minlon, minlat, maxlon, maxlat")


class ClusterFeature(TartipModel):
    """One grid cell as a GeoJSON Feature, placed at its vehicles' centre of mass."""

    type: Literal["Feature"] = "Feature"
    geometry: PointGeometry
    properties: ClusterProperties


class ClusterFeatureCollection(TartipModel):
    """Vehicles counted per grid cell, for views too wide to draw every vehicle."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    zoom: int
    cell_size: tuple[float, float] = Field(description="Degrees of longitude and latitude")
    bbox: BBoxTuple | None = Field(description="The box counted: the asked one, snapped to cells")
    total: int = Field(description="Vehicles counted in all cells")
    features: list[ClusterFeature]

    @classmethod
    def from_grid(cls, grid: fleet_service.ClusterGrid) -> ClusterFeatureCollection:
        """The collection of a cluster grid."""
        features = [
            ClusterFeature(
                geometry=PointGeometry(coordinates=(c.lon, c.lat)),
                properties=ClusterProperties(
                    count=c.count, companies=c.by_company, cell=c.cell.as_tuple()
                ),
            )
            for c in grid.cells
        ]
        return cls(
            zoom=grid.zoom,
            cell_size=(grid.cell_lon, grid.cell_lat),
            bbox=grid.bbox.as_tuple() if grid.bbox else None,
            total=grid.total,
            features=features,
        )


class CompanySummary(TartipModel):
    """One company's vehicles in the feed, by status, with the stale ones counted apart."""

    company: CompanyRead
    total: int
    stale: int
    fresh: int
    by_status: dict[VehicleStatus, int]


class FleetSummary(TartipModel):
    """Vehicles in the feed per company and status: the figures beside the map."""

    total: int
    stale: int
    companies: list[CompanySummary]

    @classmethod
    def from_counts(cls, counts: list[fleet_service.CompanyCounts]) -> FleetSummary:
        """The summary of per-company counts."""
        companies = [
            CompanySummary(
                company=CompanyRead.model_validate(c.company),
                total=c.total,
                stale=c.stale,
                fresh=c.total - c.stale,
                by_status=dict(c.by_status),
            )
            for c in counts
        ]
        return cls(
            total=sum(c.total for c in companies),
            stale=sum(c.stale for c in companies),
            companies=companies,
        )


class CityProperties(TartipModel):
    """What the map needs to know about the city."""

    slug: str
    name: str
    timezone: str
    default_locale: str
    center: tuple[float, float] = Field(description="longitude, latitude")


class CityFeature(TartipModel):
    """The caller's city as a GeoJSON Feature whose geometry is its boundary."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: MultiPolygonGeometry | None
    properties: CityProperties

    @classmethod
    def from_city(cls, city: City) -> CityFeature:
        """The Feature of a city."""
        geometry: dict[str, Any] | None = (
            geometry_to_geojson(city.boundary) if city.boundary is not None else None
        )
        return cls(
            id=city.id,
            geometry=MultiPolygonGeometry.model_validate(geometry) if geometry else None,
            properties=CityProperties(
                slug=city.slug,
                name=city.name,
                timezone=city.timezone,
                default_locale=city.default_locale,
                center=(city.center_lon, city.center_lat),
            ),
        )
