"""The evaluation job: on every new fleet snapshot, check each vehicle against the zones in force.

Every ``EVALUATE_EVERY_S`` the job looks whether any feed of the city brought a new snapshot
(``Feed.last_success_at``); if one did, or a minute passed anyway (time alone opens "parked too
long" and closes cleared violations), it reads the snapshot, runs the detectors and reconciles the
violations. The compiled ``RuleBook`` is kept in ``JobContext.state`` and compiled again only when
the city's published zones or thresholds change. Every five minutes it also writes each duty
zone's load for the duty-zone board's trend.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.compliance import lifecycle, reading
from tartip.compliance.detectors import DetectionResult, detect
from tartip.compliance.models import DutyZoneLoad, Violation
from tartip.compliance.rulebook import RuleBook
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext, job
from tartip.feeds.models import Feed
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind

log = logging.getLogger(__name__)

EVALUATE_EVERY_S = 5.0
STATE_KEY = "compliance.evaluate"
# Evaluate at least this often even without a new snapshot: durations grow, graces run out.
RECHECK = timedelta(seconds=60)
# Compile the book again at least this often (a version published with a future start).
RECOMPILE = timedelta(minutes=10)
DUTY_LOAD_EVERY = timedelta(minutes=5)


@dataclass
class CityState:
    """What the job remembers about one city between runs."""

    book: RuleBook | None = None
    stamp: tuple[Any, ...] = ()
    compiled_at: datetime | None = None
    fleet_mark: datetime | None = None
    evaluated_at: datetime | None = None
    first_seen: reading.FirstSeen = field(default_factory=reading.FirstSeen)


def _city_state(state: dict[str, Any], city_id: int) -> CityState:
    cities: dict[int, CityState] = state.setdefault(STATE_KEY, {})
    return cities.setdefault(city_id, CityState())


@job("compliance.evaluate", every_s=EVALUATE_EVERY_S)
def evaluate_job(ctx: JobContext, db: Session, city: City) -> None:
    """Evaluate the city's fleet against its zones when a new snapshot came (or a minute passed)."""
    state = _city_state(ctx.state, city.id)
    at = utcnow()
    mark = db.scalar(select(func.max(Feed.last_success_at)).where(Feed.city_id == city.id))
    fresh = mark != state.fleet_mark
    if not fresh and state.evaluated_at is not None and at - state.evaluated_at < RECHECK:
        return
    evaluate(db, city=city, at=at, state=state)
    state.fleet_mark, state.evaluated_at = mark, at


def evaluate(
    db: Session, *, city: City, at: datetime, state: CityState | None = None
) -> tuple[DetectionResult, lifecycle.Outcome]:
    """One evaluation of ``city`` at ``at``: detect, reconcile, and record duty loads when due."""
    state = state or CityState()
    started = time.perf_counter()
    book = _book(db, city=city, at=at, state=state)
    snapshot = reading.load_snapshot(db, city_id=city.id, at=at, first_seen=state.first_seen)
    loaded = time.perf_counter()
    result = detect(snapshot, book, at=at)
    detected = time.perf_counter()
    names = {r.zone_id: r.name for r in book.rules}
    outcome = lifecycle.reconcile(
        db,
        city_id=city.id,
        at=at,
        detections=result.detections,
        snapshot=snapshot,
        close_grace_s=book.city.close_grace_s,
        zone_names=names,
        zone_close_grace_s=book.zone_close_grace_s,
    )
    _record_duty_loads(db, city_id=city.id, at=at, book=book, result=result)
    log.info(
        "compliance city %s: %d vehicles, %d zones, %d detections (%s) "
        "read %.0f ms, detect %.0f ms, write %.0f ms",
        city.id,
        len(snapshot),
        len(book),
        len(result.detections),
        outcome,
        1000 * (loaded - started),
        1000 * (detected - loaded),
        1000 * (time.perf_counter() - detected),
    )
    return result, outcome


def _book(db: Session, *, city: City, at: datetime, state: CityState) -> RuleBook:
    thresholds = reading.load_thresholds(db, city_id=city.id)
    stamp = (zones_service.rules_revision(db, city_id=city.id), thresholds.signature())
    stale = state.compiled_at is None or at - state.compiled_at >= RECOMPILE
    if state.book is None or stamp != state.stamp or stale:
        rules = zones_service.in_force(db, city_id=city.id, at=at)
        state.book = RuleBook(rules, thresholds, lat0=city.center_lat)
        state.stamp, state.compiled_at = stamp, at
    return state.book


def _record_duty_loads(
    db: Session, *, city_id: int, at: datetime, book: RuleBook, result: DetectionResult
) -> None:
    """Write each active duty zone's load, at most every ``DUTY_LOAD_EVERY``."""
    last = db.scalar(select(func.max(DutyZoneLoad.at)).where(DutyZoneLoad.city_id == city_id))
    if last is not None and at - last < DUTY_LOAD_EVERY:
        return
    duty = [r for r in book.rules if r.kind is ZoneKind.duty and r.is_active(at)]
    if not duty:
        return
    points = db.execute(
        select(Violation.lon, Violation.lat).where(
            Violation.city_id == city_id, Violation.closed_at.is_(None)
        )
    ).all()
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    # A duty zone's open violations are those shown inside it on the map, whatever their zone.
    open_counts = {
        r.zone_id: int(shapely.intersects_xy(r.geometry, lon, lat).sum()) if len(lon) else 0
        for r in duty
    }
    db.add_all(
        DutyZoneLoad(
            city_id=city_id,
            zone_id=r.zone_id,
            at=at,
            vehicles=result.zone_loads.get(r.zone_id, 0),
            target_load=r.target_load,
            open_violations=int(open_counts.get(r.zone_id, 0)),
        )
        for r in duty
    )
    db.flush()
