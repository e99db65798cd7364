"""API schemas of Vision Zero: incidents (Create/Update/Read/Page), monthly counts, the map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from tartip.core.schemas import Page, TartipModel
from tartip.safety.enums import IncidentKind, IncidentSource, Severity


class IncidentCreate(TartipModel):
    """A new incident. The source follows from the sender's account, never from the body.

    ``external_ref`` is the sender's own case number (a police protocol, a company's incident id):
    sending the same one again answers the incident already stored instead of a second one.
    """

    kind: IncidentKind
    severity: Severity = Severity.none
    occurred_at: AwareDatetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    company: str | None = Field(
        default=None, max_length=64, description="The vehicle's company (slug), if known"
    )
    vehicle_code: str | None = Field(default=None, max_length=255)
    injured: int = Field(default=0, ge=0, le=1000, description="People hurt")
    description: str = Field(default="", max_length=4000)
    external_ref: str | None = Field(default=None, min_length=1, max_length=128)


class IncidentUpdate(TartipModel):
    """A supervisor's correction of an incident (what it was, how bad, whose vehicle)."""

    kind: IncidentKind | None = None
    severity: Severity | None = None
    company: str | None = Field(default=None, max_length=64)
    vehicle_code: str | None = Field(default=None, max_length=255)
    injured: int | None = Field(default=None, ge=0, le=1000)
    description: str | None = Field(default=None, max_length=4000)


class IncidentRead(TartipModel):
    """An incident as the API shows it."""

    id: int
    kind: IncidentKind
    severity: Severity
    source: IncidentSource
    occurred_at: datetime
    lon: float
    lat: float
    company: str | None
    vehicle_code: str | None
    injured: int
    description: str
    external_ref: str | None
    reported_by: str
    created_at: datetime


class IncidentPage(Page[IncidentRead]):
    """One page of incidents, newest first."""


class MonthCountRead(TartipModel):
    """Incidents of one month (city time) by kind and severity, and the people hurt."""

    month: str
    total: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    injured: int


class SuggestionRead(TartipModel):
    """A place where a new slow zone or parking place would help, and the rule that said so."""

    action: str
    lon: float
    lat: float
    cell: list[float] = Field(description="south, west, north, east (WGS 84)")
    incidents: int
    injuries: int
    clutter: int
    reason: str


class SafetyMap(TartipModel):
    """The safety map as GeoJSON: incidents, slow and no-ride zones, clutter, suggestions."""

    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
    rule: dict[str, Any]
