"""API schemas of compliance: violations as GeoJSON, thresholds, the duty board, rule adoption."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from tartip.compliance import adoption, service
from tartip.compliance.enums import ViolationKind, ViolationState
from tartip.compliance.thresholds import Thresholds
from tartip.core.schemas import TartipModel
from tartip.zones.enums import ZoneKind


class PointGeometry(TartipModel):
    """A GeoJSON Point: ``[longitude, latitude]``."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]


class EvidenceVehicle(TartipModel):
    """One vehicle as evidence: Tartip's row id, the feed's id, where it stood, since when."""

    id: int = Field(description="Tartip's vehicle row (GET /api/v1/vehicles/{id} while it stands)")
    vehicle_id: str = Field(description="The company feed's id (rotates after each trip)")
    company_id: int
    lon: float
    lat: float
    parked_since: datetime | None = Field(description="First seen with this id (start of parking)")


class ViolationProperties(TartipModel):
    """What a supervisor needs to see and act on a violation."""

    id: int
    kind: ViolationKind
    key: str = Field(description="The condition: kind + zone + company, a vehicle or a cell")
    state: ViolationState
    clearing: bool = Field(description="Open, but not seen at the last evaluation (grace)")
    zone_id: int | None
    zone_name: str | None
    company: str | None = Field(description="The company's slug; null when not one company's")
    company_id: int | None
    count: int = Field(description="Vehicles involved at the last evaluation")
    max_count: int = Field(description="The most vehicles involved while it was open")
    threshold: float | None = Field(description="The limit compared with (vehicles or seconds)")
    vehicles: list[EvidenceVehicle] = Field(description="The first vehicles involved")
    vehicles_total: int
    by_company: dict[str, int] = Field(description="Vehicles involved per company slug")
    first_seen_at: datetime | None = Field(description="Earliest time a vehicle involved arrived")
    opened_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: service.ViolationRow) -> ViolationProperties:
        """Properties of a listed violation."""
        v = row.violation
        evidence: dict[str, Any] = v.evidence or {}
        return cls(
            id=v.id,
            kind=ViolationKind(v.kind),
            key=v.key,
            state=ViolationState.open if v.closed_at is None else ViolationState.closed,
            clearing=v.closed_at is None and v.cleared_at is not None,
            zone_id=v.zone_id,
            zone_name=row.zone_name or evidence.get("zone_name"),
            company=row.company.slug if row.company else None,
            company_id=v.company_id,
            count=v.count,
            max_count=v.max_count,
            threshold=v.threshold,
            vehicles=[EvidenceVehicle.model_validate(x) for x in v.vehicles],
            vehicles_total=int(evidence.get("vehicles_total", v.count)),
            by_company=dict(evidence.get("by_company", {})),
            first_seen_at=v.first_seen_at,
            opened_at=v.opened_at,
            last_seen_at=v.last_seen_at,
            cleared_at=v.cleared_at,
            closed_at=v.closed_at,
        )


class ViolationFeature(TartipModel):
    """One violation as a GeoJSON Feature placed at its vehicles' centre."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointGeometry
    properties: ViolationProperties

    @classmethod
    def from_row(cls, row: service.ViolationRow) -> ViolationFeature:
        """The Feature of a violation."""
        v = row.violation
        return cls(
            id=v.id,
            geometry=PointGeometry(coordinates=(v.lon, v.lat)),
            properties=ViolationProperties.from_row(row),
        )


class ViolationFeatureCollection(TartipModel):
    """One page of violations as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ViolationFeature]
    total: int = Field(description="Violations matching the filters, on every page")
    page: int
    size: int


class ThresholdOverrideRead(TartipModel):
    """A city's override of thresholds at one level."""

    level: str = Field(description="city, kind:<zone kind> or zone:<zone id>")
    values: dict[str, Any]
    updated_at: datetime
    updated_by: str


class ThresholdsRead(TartipModel):
    """The detection thresholds: defaults and the city's overrides (zone over kind over city)."""

    defaults: Thresholds
    overrides: list[ThresholdOverrideRead]

    @classmethod
    def from_settings(cls, settings: service.ThresholdSettings) -> ThresholdsRead:
        """The API form of a city's threshold settings."""
        return cls(
            defaults=settings.defaults,
            overrides=[ThresholdOverrideRead.model_validate(o) for o in settings.overrides],
        )


class LoadPoint(TartipModel):
    """A duty zone's load at one moment."""

    at: datetime
    vehicles: int


class DutyZoneRead(TartipModel):
    """One duty zone on the board."""

    zone_id: int
    name: str
    code: str | None
    target_load: int | None
    load: int
    over_target: bool
    open_violations: int = Field(description="Open violations shown inside the zone")
    trend: list[LoadPoint]

    @classmethod
    def from_status(cls, s: service.DutyZoneStatus) -> DutyZoneRead:
        """The API form of a duty zone's status."""
        return cls(
            zone_id=s.zone_id,
            name=s.name,
            code=s.code,
            target_load=s.target_load,
            load=s.load,
            over_target=s.over_target,
            open_violations=s.open_violations,
            trend=[LoadPoint(at=at, vehicles=n) for at, n in s.trend],
        )


class RuleAdoptionRead(TartipModel):
    """One city rule against one company's own geofencing zones."""

    zone_id: int
    zone_name: str
    kind: ZoneKind
    speed_limit_kph: int | None
    status: adoption.AdoptionStatus
    iou: float = Field(description="Intersection over union with the covering company zones")
    company_zones: list[str]


class CompanyAdoptionRead(TartipModel):
    """Which city rules one company has put into its app."""

    company: str = Field(description="The company's slug")
    company_name: str
    adopted: int
    total: int
    rules: list[RuleAdoptionRead]

    @classmethod
    def from_adoption(cls, a: adoption.CompanyAdoption) -> CompanyAdoptionRead:
        """The API form of one company's adoption."""
        return cls(
            company=a.company.slug,
            company_name=a.company.name,
            adopted=a.adopted,
            total=len(a.rules),
            rules=[RuleAdoptionRead.model_validate(r, from_attributes=True) for r in a.rules],
        )
