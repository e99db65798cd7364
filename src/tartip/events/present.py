"""Turning stored events into API schemas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.events import service as events_service
from tartip.events.enums import EventZoneRole
from tartip.events.models import CityEvent
from tartip.events.schemas import CityEventRead, EventZoneRead
from tartip.zones.enums import ZoneKind, ZonePhase


def event_read(db: Session, event: CityEvent, *, scope: Scope, at: datetime) -> CityEventRead:
    """An event with the zones the caller may see."""
    start, end = events_service.window(event)
    zones = [
        EventZoneRead(
            zone_id=zone.id,
            role=EventZoneRole(link.role),
            kind=ZoneKind(zone.kind),
            phase=ZonePhase(zone.phase),
            name=zone.name,
            code=zone.code,
        )
        for link, zone in events_service.list_zones(db, scope=scope, event_id=event.id)
    ]
    return CityEventRead(
        id=event.id,
        name=event.name,
        description=event.description,
        venue_name=event.venue_name,
        venue_lon=event.venue_lon,
        venue_lat=event.venue_lat,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        margin_before_min=event.margin_before_min,
        margin_after_min=event.margin_after_min,
        zones_from=start,
        zones_until=end,
        state=events_service.state(event, at=at),
        cancelled_at=event.cancelled_at,
        zones=zones,
    )
