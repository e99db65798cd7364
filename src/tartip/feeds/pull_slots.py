"""Feed pulls summed per 5-minute slot: the access log's part that a month's scorecard needs.

The pulls themselves (``feed_pull``) are kept a week (``PULL_RETENTION``), yet the scorecard
measures a whole month of each feed: pulls answered, slots up, the age of the vehicle data and
the vehicles on the street. So every pull is also added to its slot's sums as it is stored
(``add``), one upsert per poll, and the month is read from about 8,600 slot rows per feed instead
of tens of thousands of pulls. A slot is ``[slot_start, slot_start + SLOT_S)`` in POSIX time;
a month starting at a local midnight starts a slot in every zone whose offset is whole minutes
of five.

The sums only grow: a pull is added once, when it is stored. ``rebuild`` recounts the slots that
still have pulls (a store loaded in bulk; a check that the sums agree with the pulls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, case, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from tartip.core.clock import from_timestamp
from tartip.db import bulk
from tartip.feeds.enums import PullOutcome
from tartip.feeds.models import FeedPull, FeedPullSlot

SLOT_S = 300
# The files that carry vehicles: new content in one of them is new vehicle data.
VEHICLE_FILES = ("vehicle_status", "free_bike_status", "vehicles_status")
# The GBFS vehicle files, whose snapshots are the live picture: they count the fleet.
GBFS_VEHICLE_FILES = ("vehicle_status", "free_bike_status")
# The columns a slot sums (beside its feed, city and start).
SUMS = (
    "pulls", "failed", "vehicle_pulls", "last_new_at", "last_new_vehicles", "snapshots",
    "vehicles_sum", "vehicles_peak",
)  # fmt: skip
# Slot rows per upsert statement (11 values each: under SQLite's bound-variable limit).
UPSERT_BATCH = 2_000
# How a slot already stored takes new sums: (its columns, the new row's) → the columns' new values.
Merge = Callable[[Any, Any], dict[str, ColumnElement[Any]]]


def slot_start(at: datetime) -> datetime:
    """The start of the slot ``at`` falls in."""
    seconds = at.timestamp()
    return from_timestamp(seconds - seconds % SLOT_S)


@dataclass
class SlotSums:
    """One feed's pulls within one slot, summed (the columns of ``FeedPullSlot``)."""

    city_id: int
    feed_id: int
    slot_start: datetime
    pulls: int = 0
    failed: int = 0
    vehicle_pulls: int = 0
    last_new_at: datetime | None = None
    last_new_vehicles: int | None = None
    snapshots: int = 0
    vehicles_sum: int = 0
    vehicles_peak: int | None = None

    def add(
        self,
        *,
        file: str,
        started_at: datetime,
        outcome: str,
        records: int | None,
        records_rejected: int,
    ) -> None:
        """Count one pull in."""
        self.pulls += 1
        self.failed += outcome == PullOutcome.error
        if file not in VEHICLE_FILES:
            return
        self.vehicle_pulls += 1
        if outcome != PullOutcome.ok:
            return
        # A snapshot's vehicles: its records less the ones that could not be used.
        vehicles = None
        if file in GBFS_VEHICLE_FILES and records is not None:
            vehicles = records - records_rejected
            self.snapshots += 1
            self.vehicles_sum += vehicles
            peak = self.vehicles_peak
            self.vehicles_peak = vehicles if peak is None else max(peak, vehicles)
        if self.last_new_at is None or started_at >= self.last_new_at:
            self.last_new_at = started_at
            self.last_new_vehicles = vehicles

    def row(self) -> dict[str, Any]:
        """The sums as a ``feed_pull_slot`` row."""
        keys = ("city_id", "feed_id", "slot_start", *SUMS)
        return {name: getattr(self, name) for name in keys}


def summed(pulls: Iterable[FeedPull | Row[Any]]) -> list[SlotSums]:
    """``pulls`` (``FeedPull`` objects, or rows of their columns) summed per feed and slot."""
    found: dict[tuple[int, datetime], SlotSums] = {}
    for p in pulls:
        start = slot_start(p.started_at)
        sums = found.get((p.feed_id, start))
        if sums is None:
            sums = found[p.feed_id, start] = SlotSums(p.city_id, p.feed_id, start)
        sums.add(
            file=p.file,
            started_at=p.started_at,
            outcome=p.outcome,
            records=p.records,
            records_rejected=p.records_rejected or 0,
        )
    return list(found.values())


def add(db: Session, pulls: Sequence[FeedPull]) -> None:
    """Add newly stored pulls to their slots' sums (one statement; a slot is created on need)."""
    _upsert(db, [s.row() for s in summed(pulls)], merge=_merged)


def rebuild(db: Session, *, since: datetime | None = None) -> int:
    """Recount, from the pulls kept, every slot that has pulls (from ``since`` on).

    For stores loaded in bulk and for checking the sums. A slot whose pulls were all purged keeps
    its sums; one whose older pulls were purged is recounted from those left.
    """
    p = FeedPull
    columns = (p.city_id, p.feed_id, p.file, p.started_at, p.outcome, p.records, p.records_rejected)
    pulls = select(*columns).order_by(p.feed_id, p.started_at)
    if since is not None:
        pulls = pulls.where(p.started_at >= slot_start(since))
    rows = [s.row() for s in summed(db.execute(pulls.execution_options(yield_per=20_000)))]
    _upsert(db, rows, merge=_replaced)
    return len(rows)


def _upsert(db: Session, rows: list[dict[str, Any]], *, merge: Merge) -> None:
    table: Table = FeedPullSlot.__table__  # type: ignore[assignment]
    for batch in bulk.batches(rows, UPSERT_BATCH):
        bulk.upsert(db, table, batch, keys=("feed_id", "slot_start"), merge=merge)


def _replaced(_now: Any, new: Any) -> dict[str, ColumnElement[Any]]:
    """A recounted slot's columns: the recount's."""
    return {name: getattr(new, name) for name in SUMS}


def _merged(now: Any, new: Any) -> dict[str, ColumnElement[Any]]:
    """Each column of a slot that already has sums (``now``) with a new pull's (``new``) added."""
    newer = (now.last_new_at.is_(None)) | (new.last_new_at >= now.last_new_at)
    taken = new.last_new_at.is_not(None) & newer
    higher = now.vehicles_peak.is_(None) | (new.vehicles_peak > now.vehicles_peak)
    return {
        "pulls": now.pulls + new.pulls,
        "failed": now.failed + new.failed,
        "vehicle_pulls": now.vehicle_pulls + new.vehicle_pulls,
        "last_new_at": case((taken, new.last_new_at), else_=now.last_new_at),
        "last_new_vehicles": case((taken, new.last_new_vehicles), else_=now.last_new_vehicles),
        "snapshots": now.snapshots + new.snapshots,
        "vehicles_sum": now.vehicles_sum + new.vehicles_sum,
        "vehicles_peak": case(
            (new.vehicles_peak.is_not(None) & higher, new.vehicles_peak), else_=now.vehicles_peak
        ),
    }
