"""Turning stored events into API schemas, and an event's duty roster for its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.events import service as events_service
from tartip.events.enums import EventZoneRole
from tartip.events.models import CityEvent
from tartip.events.schemas import CityEventRead, EventZoneRead
from tartip.events.template import SLOW_M
from tartip.ops import forms, roster, staff
from tartip.ops import present as ops_present
from tartip.ops.schemas import ShiftRead
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


@dataclass(frozen=True)
class EventDuty:
    """Who is on duty at an event, the duty zones around its venue, and where to add more."""

    shifts: list[ShiftRead]
    zone_names: list[str]
    staff_url: str


def event_duty(db: Session, event: CityEvent, *, scope: Scope, timezone: str) -> EventDuty | None:
    """The event's shifts and a roster link pre-filled with its window and venue's duty zones.

    ``None`` for callers who do not see the roster (company representatives, city viewers).
    """
    if not scope.is_operator_staff:
        return None
    shifts, _total = roster.list_shifts(db, scope=scope, city_event_id=event.id)
    live = [s for s in shifts if s.cancelled_at is None]
    zones = staff.duty_zones_near(
        db, scope=scope, lon=event.venue_lon, lat=event.venue_lat, radius_m=SLOW_M
    )
    start, end = events_service.window(event)
    query = [
        ("event_id", str(event.id)),
        ("starts_at", forms.local_text(start, timezone)),
        ("ends_at", forms.local_text(end, timezone)),
        *(("zone_ids", str(z.id)) for z in zones),
    ]
    return EventDuty(
        shifts=ops_present.shift_reads(db, scope=scope, shifts=live),
        zone_names=[z.name for z in zones],
        staff_url=f"/ops/roster?{urlencode(query)}",
    )
