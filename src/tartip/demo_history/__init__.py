"""The demo's last month: a believable previous calendar month of the operator's work.

A freshly started demo holds minutes of live data, so the report of last month would be empty.
``seed_history`` writes last month (in city time) once per database: extra demo staff and the
month's shifts, two football matches at the Central Stadium, the scouts' work logs (with their
tasks and the violations they cleared), complaints, damaged vehicles handed over, the companies'
trips as daily rollups, road-safety incidents, and the feeds' pulls as 5-minute slot sums. The
monthly job (``reports.issue_monthly``) then issues that month's report as it would from real
data.

This is **demo history**: made-up rows, the same every time (one seeded generator), written into
the domains' tables with their own models and helpers (reference numbers, due times, answers,
case keys, complaint steps), in bulk where there are thousands. Every row with an author field
names ``HISTORY_BY``. The audit trail is for changes people make, so nothing here is audited.

- **Marker.** The tasks ``HISTORY_BY`` created: a city that has any has its history, and a second
  start writes nothing.
- **Zones.** The demo's zones are published at the first start, so their first versions are dated
  back to the start of the month: the zones the history refers to were in force when it happened.
- **Not written.** The feeds' fetch log itself (it is purged after a week; its slot sums stand
  for it, as they do for any month past) and MDS events and trips (the rollups stand for them).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.demo_history.complaints import write_complaints
from tartip.demo_history.context import HISTORY_BY, make_history, zones_in_force
from tartip.demo_history.damage import write_damage
from tartip.demo_history.feeds import write_feed_slots
from tartip.demo_history.incidents import write_incidents
from tartip.demo_history.staff import write_events, write_people, write_roster
from tartip.demo_history.trips import write_trips
from tartip.demo_history.work import write_work
from tartip.ops.models import Task
from tartip.reports import report_period
from tartip.reports.period import Month
from tartip.zones.enums import ZoneKind

__all__ = ["HISTORY_BY", "seed_history"]

log = logging.getLogger(__name__)


def seed_history(db: Session, city: City, *, now: datetime | None = None) -> bool:
    """Write last month's demo history for ``city`` once; False when it has it already.

    Run it after ``demo.seed_city``: it uses the demo's zones, people and agreements.
    """
    if _written(db, city):
        return False
    moment = now or utcnow()
    month = Month.containing(moment, city.timezone).previous()
    period = report_period.month_period(month, city.timezone)
    h = make_history(db, city, period, moment)
    if not h.zones.get(ZoneKind.duty) or not h.companies:
        log.warning("no demo zones or companies in %s: no history written", city.slug)
        return False
    versions = zones_in_force(h)
    scouts, technicians = write_people(h)
    events = write_events(h)
    duties = write_roster(h, scouts, technicians, events)
    logs = write_work(h, duties)
    complaints = write_complaints(h, duties)
    cases = write_damage(h, scouts)
    trips = write_trips(h, versions)
    incidents = write_incidents(h)
    slots = write_feed_slots(h)
    log.info(
        "demo history of %s for %s: %d shifts, %d work logs, %d complaints, %d damaged "
        "vehicles, %d trips, %d incidents, %d feed slots",
        month.label, city.slug, len(duties), logs, complaints, cases, trips, incidents, slots,
    )  # fmt: skip
    return True


def _written(db: Session, city: City) -> bool:
    """Whether the city has its demo history (the marker: any task it created)."""
    stmt = select(Task.id).where(Task.city_id == city.id, Task.created_by == HISTORY_BY).limit(1)
    return db.scalar(stmt) is not None
