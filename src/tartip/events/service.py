"""Use cases of mass events: plan an event with its temporary zones, move it, cancel it.

An event's zones are ordinary published zones whose validity period is the event's window
(with margins), so they switch on and off by themselves: no job has to flip them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, NotFound
from tartip.events.enums import EventState, EventZoneRole
from tartip.events.models import CityEvent, CityEventZone
from tartip.events.schemas import CityEventCreate, CityEventUpdate
from tartip.events.template import template_zones
from tartip.ops.schemas import EventOption
from tartip.zones import service as zones_service
from tartip.zones.enums import ZonePhase
from tartip.zones.models import Zone
from tartip.zones.schemas import ZoneCreate, ZoneUpdate

EDITORS = (Role.supervisor,)


def window(event: CityEvent) -> tuple[datetime, datetime]:
    """When the event's zones are active: its times widened by the margins."""
    return (
        event.starts_at - timedelta(minutes=event.margin_before_min),
        event.ends_at + timedelta(minutes=event.margin_after_min),
    )


def state(event: CityEvent, *, at: datetime) -> EventState:
    """Whether the event is upcoming, on, over or cancelled at ``at``."""
    if event.cancelled_at is not None:
        return EventState.cancelled
    if at < event.starts_at:
        return EventState.upcoming
    return EventState.current if at < event.ends_at else EventState.past


def get(db: Session, *, scope: Scope, event_id: int) -> CityEvent | None:
    """The event with this id in the caller's city."""
    stmt = select(CityEvent).where(CityEvent.id == event_id, CityEvent.city_id == scope.city_id)
    return db.scalars(stmt).first()


def get_or_raise(db: Session, *, scope: Scope, event_id: int) -> CityEvent:
    """The event with this id, or ``NotFound``."""
    event = get(db, scope=scope, event_id=event_id)
    if event is None:
        raise NotFound(f"no event {event_id}")
    return event


def list_events(
    db: Session,
    *,
    scope: Scope,
    states: Sequence[EventState] = (),
    at: datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[CityEvent], int]:
    """The city's events in these states (default: all), soonest first, with the total."""
    now = at or utcnow()
    where: list[Any] = [CityEvent.city_id == scope.city_id]
    conditions = {
        EventState.cancelled: CityEvent.cancelled_at.is_not(None),
        EventState.upcoming: CityEvent.cancelled_at.is_(None) & (CityEvent.starts_at > now),
        EventState.current: CityEvent.cancelled_at.is_(None)
        & (CityEvent.starts_at <= now)
        & (CityEvent.ends_at > now),
        EventState.past: CityEvent.cancelled_at.is_(None) & (CityEvent.ends_at <= now),
    }
    if states:
        chosen = [conditions[s] for s in states]
        combined = chosen[0]
        for condition in chosen[1:]:
            combined = combined | condition
        where.append(combined)
    total = db.scalar(select(func.count()).select_from(CityEvent).where(*where)) or 0
    stmt = (
        select(CityEvent).where(*where).order_by(CityEvent.starts_at, CityEvent.id).offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.scalars(stmt)), total


def duty_options(db: Session, *, scope: Scope) -> list[EventOption]:
    """Events the roster offers for event duty: current and upcoming ones, soonest first."""
    events, _total = list_events(
        db, scope=scope, states=[EventState.current, EventState.upcoming], limit=100
    )
    return [
        EventOption(id=e.id, name=e.name, starts_at=e.starts_at, ends_at=e.ends_at) for e in events
    ]


def list_zones(db: Session, *, scope: Scope, event_id: int) -> list[tuple[CityEventZone, Zone]]:
    """An event's zones the caller may see, with their role."""
    event = get_or_raise(db, scope=scope, event_id=event_id)
    stmt = (
        select(CityEventZone, Zone)
        .join(Zone, Zone.id == CityEventZone.zone_id)
        .where(CityEventZone.event_id == event.id)
        .order_by(Zone.kind, Zone.name)
    )
    if scope.role is Role.company_rep:
        stmt = stmt.where(Zone.phase == ZonePhase.published)
    return [(link, zone) for link, zone in db.execute(stmt)]


def _record(db: Session, *, scope: Scope, event: CityEvent, action: str, **data: Any) -> None:
    audit.record(
        db,
        actor=scope.actor,
        action=action,
        entity_type="city_event",
        entity_id=event.id,
        city_id=event.city_id,
        **data,
    )


def _summary(event: CityEvent) -> dict[str, Any]:
    return {
        "name": event.name,
        "venue_name": event.venue_name,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "margin_before_min": event.margin_before_min,
        "margin_after_min": event.margin_after_min,
    }


def create(db: Session, *, scope: Scope, data: CityEventCreate) -> CityEvent:
    """Plan an event; with ``template``, its default zones are published at once."""
    scope.require(*EDITORS)
    event = CityEvent(
        city_id=scope.city_id,
        **data.model_dump(exclude={"template"}),
    )
    db.add(event)
    db.flush()
    _record(db, scope=scope, event=event, action="city_event.create", after=_summary(event))
    if data.template:
        add_template_zones(db, scope=scope, event=event)
    return event


def add_template_zones(db: Session, *, scope: Scope, event: CityEvent) -> list[Zone]:
    """Draw and publish the default zones around the event's venue."""
    start, end = window(event)
    made = []
    for item in template_zones(
        name=event.name, code=f"EV{event.id}", lon=event.venue_lon, lat=event.venue_lat
    ):
        data = ZoneCreate.model_validate({**item.fields, "active_from": start, "active_until": end})
        made.append(add_zone(db, scope=scope, event=event, data=data, role=item.role))
    return made


def add_zone(
    db: Session, *, scope: Scope, event: CityEvent, data: ZoneCreate, role: EventZoneRole
) -> Zone:
    """Publish a temporary zone for the event, active during the event's window."""
    start, end = window(event)
    data = data.model_copy(update={"active_from": start, "active_until": end})
    zone = zones_service.create(db, scope=scope, data=data)
    zones_service.publish(db, scope=scope, zone_id=zone.id)
    db.add(CityEventZone(event_id=event.id, zone_id=zone.id, role=role))
    db.flush()
    return zone


def update(db: Session, *, scope: Scope, event_id: int, data: CityEventUpdate) -> CityEvent:
    """Change an event; its live zones take the new window at once (as new versions)."""
    scope.require(*EDITORS)
    event = get_or_raise(db, scope=scope, event_id=event_id)
    if event.cancelled_at is not None:
        raise Conflict("a cancelled event cannot be changed")
    before = _summary(event)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(event, name, value)
    if event.ends_at <= event.starts_at:
        raise Conflict("the event must end after it starts")
    start, end = window(event)
    for _link, zone in list_zones(db, scope=scope, event_id=event.id):
        if zone.phase != ZonePhase.retired:
            change = ZoneUpdate(active_from=start, active_until=end)
            zones_service.update(db, scope=scope, zone_id=zone.id, data=change)
    _record(
        db,
        scope=scope,
        event=event,
        action="city_event.update",
        before=before,
        after=_summary(event),
    )
    return event


def cancel(db: Session, *, scope: Scope, event_id: int) -> CityEvent:
    """Cancel an event: its zones are retired at once."""
    scope.require(*EDITORS)
    event = get_or_raise(db, scope=scope, event_id=event_id)
    if event.cancelled_at is not None:
        raise Conflict("the event is already cancelled")
    for _link, zone in list_zones(db, scope=scope, event_id=event.id):
        if zone.phase != ZonePhase.retired:
            zones_service.retire(db, scope=scope, zone_id=zone.id)
    event.cancelled_at = utcnow()
    _record(db, scope=scope, event=event, action="city_event.cancel")
    return event


CENTRAL_STADIUM = (76.924172, 43.238341)  # OSM way 22733734 (ODbL), data/almaty/poi
DEMO_MATCH = "Football: Kairat – Ordabasy"


def seed_demo_event(db: Session, city: City, *, now: datetime | None = None) -> CityEvent:
    """An upcoming football match at the Central Stadium with its zones (kept if one exists)."""
    moment = now or utcnow()
    stmt = select(CityEvent).where(
        CityEvent.city_id == city.id,
        CityEvent.name == DEMO_MATCH,
        CityEvent.cancelled_at.is_(None),
        CityEvent.ends_at > moment,
    )
    existing = db.scalars(stmt).first()
    if existing is not None:
        return existing
    local = moment.astimezone(ZoneInfo(city.timezone))
    kickoff = (local + timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
    scope = Scope(user_id=None, username="demo", role=Role.admin, city_id=city.id)
    data = CityEventCreate(
        name=DEMO_MATCH,
        description="Kazakhstan Premier League match; about 23,000 spectators expected.",
        venue_name="Central Stadium",
        venue_lon=CENTRAL_STADIUM[0],
        venue_lat=CENTRAL_STADIUM[1],
        starts_at=kickoff,
        ends_at=kickoff + timedelta(hours=2),
        margin_before_min=90,
        margin_after_min=60,
    )
    return create(db, scope=scope, data=data)
