"""API schemas of mass events: the Create/Update/Read/Page ladder."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, model_validator

from tartip.core.schemas import TartipModel
from tartip.events.enums import EventState, EventZoneRole
from tartip.zones.enums import ZoneKind, ZonePhase


class CityEventCreate(TartipModel):
    """A new mass event; ``template`` adds the usual temporary zones around the venue."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    venue_name: str = Field(min_length=1, max_length=200)
    venue_lon: float = Field(ge=-180, le=180)
    venue_lat: float = Field(ge=-90, le=90)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    margin_before_min: int = Field(default=60, ge=0, le=24 * 60)
    margin_after_min: int = Field(default=60, ge=0, le=24 * 60)
    template: bool = Field(
        default=True, description="Add a no-parking perimeter, three parking hubs, a slow zone"
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> CityEventCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("the event must end after it starts")
        return self


class CityEventUpdate(TartipModel):
    """Changes to an event; its zones follow new times at once."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    margin_before_min: int | None = Field(default=None, ge=0, le=24 * 60)
    margin_after_min: int | None = Field(default=None, ge=0, le=24 * 60)


class EventZoneRead(TartipModel):
    """A temporary zone of an event."""

    zone_id: int
    role: EventZoneRole
    kind: ZoneKind
    phase: ZonePhase
    name: str
    code: str | None


class CityEventRead(TartipModel):
    """A mass event with its temporary zones."""

    id: int
    name: str
    description: str
    venue_name: str
    venue_lon: float
    venue_lat: float
    starts_at: datetime
    ends_at: datetime
    margin_before_min: int
    margin_after_min: int
    zones_from: datetime = Field(description="When the event's zones switch on")
    zones_until: datetime = Field(description="When the event's zones switch off")
    state: EventState
    cancelled_at: datetime | None
    zones: list[EventZoneRead]


class CityEventPage(TartipModel):
    """One page of events."""

    items: list[CityEventRead]
    total: int
    page: int
    size: int
