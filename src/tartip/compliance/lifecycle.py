"""The life of a violation: open once, update while it lasts, close by itself when it clears.

``reconcile`` compares one evaluation's detections with the city's open violations, read from the
database every time (so a restarted worker carries on where the last one stopped), and writes the
difference in a few bulk statements:

- a detection with no open violation of its key opens one;
- one whose count, threshold or vehicles changed (``fingerprint``) rewrites its row;
- an open violation not detected is marked *clearing* (``cleared_at``); seen again within the
  grace, it carries on; still clear after ``close_grace_s`` (its zone's, where the city set one
  for the zone or its kind), it closes, dated when it cleared. The grace keeps a count that
  wobbles around a limit from opening a new violation each poll;
- ``last_seen_at`` of unchanged open violations is moved on at most once a minute, so a quiet
  city does not rewrite every open row at every poll.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from tartip.compliance.detectors import Detection
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.compliance.snapshot import FleetSnapshot
from tartip.core.geo import METRES_PER_DEGREE

# Evidence keeps this many vehicles; the total is always kept.
EVIDENCE_MAX = 50
# Unchanged open violations get a new last_seen_at at most this often.
TOUCH_EVERY = timedelta(seconds=60)
# An open clutter within this distance of a new one is taken to be the same clutter, moved.
CLUTTER_MATCH_M = 50.0

_V = cast(Table, Violation.__table__)
_REWRITE = (
    update(_V)
    .where(_V.c.id == bindparam("b_id"))
    .values(
        {
            name: bindparam(f"b_{name}")
            for name in (
                "count",
                "max_count",
                "threshold",
                "lon",
                "lat",
                "vehicles",
                "evidence",
                "fingerprint",
                "first_seen_at",
                "last_seen_at",
            )
        }
        | {"cleared_at": None}
    )
)


@dataclass
class Outcome:
    """What one reconciliation did."""

    opened: int = 0
    updated: int = 0
    resumed: int = 0
    clearing: int = 0
    closed: int = 0


def _dt(seconds: float | None) -> datetime | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _evidence(
    d: Detection, snapshot: FleetSnapshot, zone_names: Mapping[int, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    shown = d.vehicles[:EVIDENCE_MAX]
    vehicles = [
        {
            "id": int(snapshot.row_id[v]),
            "vehicle_id": snapshot.vehicle_ids[v],
            "company_id": int(snapshot.company[v]),
            "lon": round(float(snapshot.lon[v]), 7),
            "lat": round(float(snapshot.lat[v]), 7),
            "parked_since": _iso(float(snapshot.parked_since[v])),
        }
        for v in shown
    ]
    companies, counts = np.unique(snapshot.company[d.vehicles], return_counts=True)
    evidence = {
        "vehicles_total": int(len(d.vehicles)),
        "by_company": {
            snapshot.company_slugs.get(int(c), str(int(c))): int(n)
            for c, n in zip(companies, counts, strict=True)
        },
        "zone_name": zone_names.get(d.zone_id) if d.zone_id is not None else None,
    }
    return vehicles, evidence


def _iso(seconds: float) -> str | None:
    moment = _dt(seconds)
    return moment.isoformat() if moment else None


def _values(
    d: Detection, snapshot: FleetSnapshot, zone_names: Mapping[int, str], at: datetime
) -> dict[str, Any]:
    vehicles, evidence = _evidence(d, snapshot, zone_names)
    return {
        "count": d.count,
        "threshold": d.limit,
        "lon": d.lon,
        "lat": d.lat,
        "vehicles": vehicles,
        "evidence": evidence,
        "fingerprint": d.fingerprint(snapshot),
        "first_seen_at": _dt(d.since),
        "last_seen_at": at,
    }


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    kx = METRES_PER_DEGREE * math.cos(math.radians(lat1))
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * METRES_PER_DEGREE)


def _match_clutters(detections: list[Detection], open_rows: Mapping[str, Any]) -> None:
    """Give a clutter that drifted into the next key cell the key of its open violation."""
    claimed = {d.key for d in detections}
    waiting = [
        r for k, r in open_rows.items() if r.kind == ViolationKind.clutter and k not in claimed
    ]
    for d in detections:
        if d.kind is not ViolationKind.clutter or d.key in open_rows or not waiting:
            continue
        nearest = min(waiting, key=lambda r: _metres(d.lon, d.lat, r.lon, r.lat))
        if _metres(d.lon, d.lat, nearest.lon, nearest.lat) <= CLUTTER_MATCH_M:
            d.key = nearest.key
            waiting.remove(nearest)


def _open_rows(db: Session, city_id: int) -> dict[str, Any]:
    """The city's open violations by key (rows with the columns reconciling needs)."""
    stmt = select(
        _V.c.id,
        _V.c.key,
        _V.c.kind,
        _V.c.zone_id,
        _V.c.fingerprint,
        _V.c.cleared_at,
        _V.c.max_count,
        _V.c.lon,
        _V.c.lat,
    ).where(_V.c.city_id == city_id, _V.c.closed_at.is_(None))
    return {row.key: row for row in db.execute(stmt)}


def reconcile(
    db: Session,
    *,
    city_id: int,
    at: datetime,
    detections: list[Detection],
    snapshot: FleetSnapshot,
    close_grace_s: float,
    zone_names: Mapping[int, str] | None = None,
    zone_close_grace_s: Mapping[int, float] | None = None,
) -> Outcome:
    """Bring the city's violations in line with what one evaluation at ``at`` detected.

    ``zone_close_grace_s`` gives the grace of a zone's violations where it is not
    ``close_grace_s`` (the city's).
    """
    names = zone_names or {}
    open_rows = _open_rows(db, city_id)
    _match_clutters(detections, open_rows)
    outcome = Outcome()
    inserts: list[dict[str, Any]] = []
    rewrites: list[dict[str, Any]] = []
    resumed: list[int] = []
    seen: set[str] = set()
    for d in detections:
        if d.key in seen:  # two clutters in one key cell: the larger (first) one stands
            continue
        seen.add(d.key)
        row = open_rows.get(d.key)
        if row is None:
            inserts.append(_new_row(d, snapshot, names, city_id=city_id, at=at))
        elif row.fingerprint != d.fingerprint(snapshot):
            values = _values(d, snapshot, names, at)
            values["max_count"] = max(row.max_count, d.count)
            rewrites.append({"b_id": row.id, **{f"b_{k}": v for k, v in values.items()}})
        elif row.cleared_at is not None:
            resumed.append(row.id)
    clearing, closing = _gone(
        open_rows, seen, at=at, grace_s=close_grace_s, zone_grace_s=zone_close_grace_s or {}
    )
    _write(db, city_id, at, inserts, rewrites, resumed, clearing, closing)
    outcome.opened, outcome.updated, outcome.resumed = len(inserts), len(rewrites), len(resumed)
    outcome.clearing, outcome.closed = len(clearing), len(closing)
    return outcome


def _new_row(
    d: Detection,
    snapshot: FleetSnapshot,
    names: Mapping[int, str],
    *,
    city_id: int,
    at: datetime,
) -> dict[str, Any]:
    values = _values(d, snapshot, names, at)
    values.update(
        city_id=city_id,
        kind=d.kind.value,
        key=d.key,
        open_key=d.key,
        zone_id=d.zone_id,
        company_id=d.company_id,
        max_count=d.count,
        opened_at=at,
        cleared_at=None,
        closed_at=None,
    )
    return values


def _gone(
    open_rows: Mapping[str, Any],
    seen: set[str],
    *,
    at: datetime,
    grace_s: float,
    zone_grace_s: Mapping[int, float],
) -> tuple[list[int], list[int]]:
    """Open violations not seen now: those starting to clear, and those clear for the grace."""
    clearing: list[int] = []
    closing: list[int] = []
    for key, row in open_rows.items():
        if key in seen:
            continue
        if row.cleared_at is None:
            clearing.append(row.id)
        elif (at - row.cleared_at).total_seconds() >= zone_grace_s.get(row.zone_id, grace_s):
            closing.append(row.id)
    return clearing, closing


def _write(
    db: Session,
    city_id: int,
    at: datetime,
    inserts: list[dict[str, Any]],
    rewrites: list[dict[str, Any]],
    resumed: list[int],
    clearing: list[int],
    closing: list[int],
) -> None:
    if inserts:
        db.execute(insert(_V), inserts)
    if rewrites:
        db.execute(_REWRITE, rewrites)
    if resumed:
        db.execute(update(_V).where(_V.c.id.in_(resumed)).values(cleared_at=None, last_seen_at=at))
    if clearing:
        db.execute(update(_V).where(_V.c.id.in_(clearing)).values(cleared_at=at))
    if closing:
        # Dated when the condition cleared, not when the grace ran out.
        db.execute(
            update(_V).where(_V.c.id.in_(closing)).values(closed_at=_V.c.cleared_at, open_key=None)
        )
    db.execute(
        update(_V)
        .where(
            _V.c.city_id == city_id,
            _V.c.closed_at.is_(None),
            _V.c.cleared_at.is_(None),
            _V.c.last_seen_at < at - TOUCH_EVERY,
        )
        .values(last_seen_at=at)
    )
