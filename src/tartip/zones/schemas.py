"""API schemas of zones: the Create/Update/Read/Page ladder, GeoJSON features, import reports.

GeoJSON coordinates are ``[longitude, latitude]`` in WGS84 (RFC 7946). Times are aware UTC;
schedules are wall-clock hours in the city's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from tartip.core.schemas import TartipModel
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.rules import parse_clock

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Position = Annotated[list[float], Field(min_length=2, max_length=3)]
CLOCK_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$|^24:00(:00)?$"


class ZonePointGeometry(TartipModel):
    """A GeoJSON Point: ``[longitude, latitude]``; a zone drawn as a point also has a radius."""

    type: Literal["Point"] = "Point"
    coordinates: Position
    bbox: list[float] | None = None


class ZonePolygonGeometry(TartipModel):
    """A GeoJSON Polygon: closed rings of ``[longitude, latitude]``, exterior first."""

    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[Position]]
    bbox: list[float] | None = None


class ZoneMultiPolygonGeometry(TartipModel):
    """A GeoJSON MultiPolygon."""

    type: Literal["MultiPolygon"] = "MultiPolygon"
    coordinates: list[list[list[Position]]]
    bbox: list[float] | None = None


ZoneGeometry = Annotated[
    ZonePointGeometry | ZonePolygonGeometry | ZoneMultiPolygonGeometry, Field(discriminator="type")
]


def _all_days() -> list[Day]:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ScheduleIn(TartipModel):
    """Weekly hours in the city's time zone; an end at or before the start runs past midnight."""

    days: list[Day] = Field(default_factory=_all_days, min_length=1)
    start: str = Field(default="00:00", pattern=CLOCK_PATTERN, examples=["22:00"])
    end: str = Field(default="00:00", pattern=CLOCK_PATTERN, examples=["06:00"])

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value


class ZoneRuleFields(TartipModel):
    """The rule parameters a zone may carry; which apply depends on its kind."""

    description: str = Field(default="", max_length=2000)
    radius_m: float | None = Field(
        default=None, gt=0, le=2000, description="Radius of a zone drawn as a point, in metres"
    )
    capacity: int | None = Field(default=None, ge=1, description="Parking places: vehicles")
    speed_limit_kph: int | None = Field(
        default=None, ge=1, le=60, description="Slow zones and service areas: km/h"
    )
    target_load: int | None = Field(
        default=None, ge=0, description="Duty zones: vehicles the zone should hold at most"
    )
    parking_required: bool = Field(
        default=False, description="Inside this zone vehicles may be left in parking places only"
    )
    companies: list[str] = Field(
        default_factory=list, description="Slugs of the companies bound; empty: every company"
    )
    fleet_caps: dict[str, int] = Field(
        default_factory=dict, description="At most this many vehicles per company (slug)"
    )
    schedule: ScheduleIn | None = None
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None


class ZoneCreate(ZoneRuleFields):
    """A new zone (created as a draft)."""

    kind: ZoneKind
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=64)
    geometry: ZoneGeometry


class ZoneUpdate(TartipModel):
    """Changes to a zone; every field optional (a published zone gets a new version)."""

    kind: ZoneKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=64)
    geometry: ZoneGeometry | None = None
    description: str | None = Field(default=None, max_length=2000)
    radius_m: float | None = Field(default=None, gt=0, le=2000)
    capacity: int | None = Field(default=None, ge=1)
    speed_limit_kph: int | None = Field(default=None, ge=1, le=60)
    target_load: int | None = Field(default=None, ge=0)
    parking_required: bool | None = None
    companies: list[str] | None = None
    fleet_caps: dict[str, int] | None = None
    schedule: ScheduleIn | None = None
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None


class ZoneProperties(TartipModel):
    """A zone's rule and life cycle, as the API and the GeoJSON export show them."""

    id: int
    uid: str
    kind: ZoneKind
    phase: ZonePhase
    name: str
    code: str | None
    description: str
    radius_m: float | None
    capacity: int | None
    speed_limit_kph: int | None
    target_load: int | None
    parking_required: bool
    companies: list[str]
    fleet_caps: dict[str, int]
    schedule: ScheduleIn | None
    active_from: datetime | None
    active_until: datetime | None
    version: int = Field(description="Published versions so far (0: never published)")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    retired_at: datetime | None


class ZoneRead(ZoneProperties):
    """A zone with its geometry as drawn (a point zone also has ``radius_m``)."""

    geometry: dict[str, Any]


class ZonePage(TartipModel):
    """One page of zones."""

    items: list[ZoneRead]
    total: int
    page: int
    size: int


class ZoneFeature(TartipModel):
    """One zone as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any]
    properties: ZoneProperties


class ZoneFeatureCollection(TartipModel):
    """Zones as a GeoJSON FeatureCollection (RFC 7946: WGS84, exteriors counter-clockwise)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]


class ZoneVersionRead(TartipModel):
    """One published version of a zone and when it was in force."""

    version: int
    uid: str = Field(description="The MDS geography_id of this version")
    kind: ZoneKind
    name: str
    code: str | None
    radius_m: float | None
    capacity: int | None
    speed_limit_kph: int | None
    target_load: int | None
    active_from: datetime | None
    active_until: datetime | None
    in_force_from: datetime
    in_force_until: datetime | None
    published_by: str
    geometry: dict[str, Any]


class ZoneChangeRead(TartipModel):
    """A change a person made to a zone."""

    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ZoneHistory(TartipModel):
    """A zone's published versions (newest first) and every change made to it."""

    zone_id: int
    versions: list[ZoneVersionRead]
    changes: list[ZoneChangeRead]


class ImportedZone(TartipModel):
    """One feature of an import: what was (or would be) created, and what was repaired."""

    index: int
    name: str
    kind: ZoneKind
    code: str | None
    id: int | None = Field(description="The new zone's id; None in a dry run")
    repairs: list[str]


class ImportReport(TartipModel):
    """The outcome of a GeoJSON import: every zone created, or in a dry run, that would be."""

    dry_run: bool
    published: bool
    zones: list[ImportedZone]
    repairs: int = Field(description="Repairs made, over all features")
