"""Reading what detection needs from the database: the fleet snapshot and the thresholds.

The snapshot comes from the ``vehicle`` table (rows in the feed, stale ones included: the last
known state stands while a feed is down). Only plain columns are read, through Core. Turning a
stored time into a datetime costs more than the rest of a row (measured: 60 % of reading 30,000
rows), and a row's ``first_seen_at`` never changes, so ``FirstSeen`` keeps it between runs and
only new rows' times are read.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.compliance.models import ComplianceThreshold
from tartip.compliance.snapshot import DISABLED, STATUS_CODE, FleetSnapshot
from tartip.compliance.thresholds import ThresholdBook
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle, VehicleChange

_VEHICLE = cast(Table, Vehicle.__table__)
_CHANGE = cast(Table, VehicleChange.__table__)


# Up to this many unknown rows are looked up by id; more (a first run) read the whole city.
_LOOKUP_MAX = 2_000


class FirstSeen:
    """Each vehicle row's ``first_seen_at`` (POSIX seconds), read once per row and kept."""

    def __init__(self) -> None:
        # Keyed by row id and feed id of the vehicle, so a row id SQLite reuses is not mistaken.
        self._known: dict[tuple[int, str], float] = {}

    def lookup(
        self, db: Session, *, city_id: int, rows: list[tuple[int, str]]
    ) -> NDArray[np.float64]:
        """The first-seen time of each (row id, vehicle id), reading only the unknown ones."""
        known = self._known
        missing = [r for r in rows if r not in known]
        if missing:
            cols = _VEHICLE.c
            stmt = select(cols.id, cols.vehicle_id, cols.first_seen_at)
            if len(missing) <= _LOOKUP_MAX:
                stmt = stmt.where(cols.id.in_([r[0] for r in missing]))
            else:
                stmt = stmt.where(cols.city_id == city_id, cols.in_feed.is_(True))
            known.update(((i, v), t.timestamp()) for i, v, t in db.execute(stmt))
        if len(known) > 2 * len(rows) + 1000:  # forget vehicles that left
            self._known = known = {r: known[r] for r in rows if r in known}
        return np.fromiter((known.get(r, np.nan) for r in rows), dtype=np.float64, count=len(rows))


def load_snapshot(
    db: Session, *, city_id: int, at: datetime, first_seen: FirstSeen | None = None
) -> FleetSnapshot:
    """Every vehicle of the city in its company's feed, as columns (see ``FleetSnapshot``)."""
    cols = _VEHICLE.c
    stmt = select(cols.id, cols.company_id, cols.lon, cols.lat, cols.status, cols.vehicle_id).where(
        cols.city_id == city_id, cols.in_feed.is_(True)
    )
    rows = db.execute(stmt).all()
    n = len(rows)
    row_id = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    status = np.fromiter((STATUS_CODE.get(r[4], 0) for r in rows), dtype=np.int8, count=n)
    vehicle_ids = [r[5] for r in rows]
    keys = list(zip(row_id.tolist(), vehicle_ids, strict=True))
    parked = (first_seen or FirstSeen()).lookup(db, city_id=city_id, rows=keys)
    # A row that arrived between the two statements has no time yet: it is just parked.
    parked[np.isnan(parked)] = at.timestamp()
    disabled_since = np.full(n, np.nan)
    disabled = np.flatnonzero(status == DISABLED)
    if len(disabled):
        since = _disabled_since(db, city_id=city_id)
        for i in disabled:
            disabled_since[i] = since.get(int(row_id[i]), parked[i])
    slugs = {c.id: c.slug for c in cities_service.list_companies(db, city_id=city_id)}
    return FleetSnapshot(
        at=at.timestamp(),
        row_id=row_id,
        lon=np.fromiter((r[2] for r in rows), dtype=np.float64, count=n),
        lat=np.fromiter((r[3] for r in rows), dtype=np.float64, count=n),
        company=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
        status=status,
        parked_since=parked,
        disabled_since=disabled_since,
        vehicle_ids=vehicle_ids,
        company_slugs=slugs,
    )


def _disabled_since(db: Session, *, city_id: int) -> dict[int, float]:
    """When each disabled vehicle last became disabled (absent: disabled since it appeared)."""
    v, c = _VEHICLE.c, _CHANGE.c
    stmt = (
        select(v.id, func.max(c.at))
        .join(_CHANGE, (c.feed_id == v.feed_id) & (c.vehicle_id == v.vehicle_id))
        .where(
            v.city_id == city_id,
            v.in_feed.is_(True),
            v.status == VehicleStatus.disabled.value,
            c.kind == ChangeKind.status_changed.value,
            c.status == VehicleStatus.disabled.value,
        )
        .group_by(v.id)
    )
    return {int(row_id): moment.timestamp() for row_id, moment in db.execute(stmt)}


def load_thresholds(db: Session, *, city_id: int) -> ThresholdBook:
    """The city's threshold overrides."""
    stmt = select(ComplianceThreshold.level, ComplianceThreshold.values).where(
        ComplianceThreshold.city_id == city_id
    )
    return ThresholdBook(overrides={level: dict(values) for level, values in db.execute(stmt)})
