"""Feed pulls summed per 5-minute slot, kept after the pulls (the scorecard reads them)

Revision ID: 3a0f1c2d4e0a
Revises: 3a0f1c2d4e09
Create Date: 2026-12-05 09:00:00.000000
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e0a"
down_revision: str | None = "3a0f1c2d4e09"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
SLOT_S = 300
VEHICLE_FILES = ("vehicle_status", "free_bike_status", "vehicles_status")
GBFS_VEHICLE_FILES = ("vehicle_status", "free_bike_status")


def upgrade() -> None:
    slots = op.create_table(
        "feed_pull_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", UTC, nullable=False),
        sa.Column("pulls", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("vehicle_pulls", sa.Integer(), nullable=False),
        sa.Column("last_new_at", UTC, nullable=True),
        sa.Column("last_new_vehicles", sa.Integer(), nullable=True),
        sa.Column("snapshots", sa.Integer(), nullable=False),
        sa.Column("vehicles_sum", sa.Integer(), nullable=False),
        sa.Column("vehicles_peak", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_feed_pull_slot_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed.id"],
            name=op.f("fk_feed_pull_slot_feed_id_feed"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_pull_slot")),
        sa.UniqueConstraint(
            "feed_id", "slot_start", name=op.f("uq_feed_pull_slot_feed_id_slot_start")
        ),
    )
    with op.batch_alter_table("feed_pull_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_pull_slot_city_id"), ["city_id"], unique=False)
    _sum_the_pulls_kept(slots)


def _sum_the_pulls_kept(slots: sa.Table) -> None:
    """The pulls still kept (the last week), summed into their slots.

    Frozen here as the rule stood at this revision (``tartip.feeds.pull_slots`` is the live one):
    a migration must not change with the code that comes after it.
    """
    pulls = sa.table(
        "feed_pull",
        *(sa.column(c) for c in ("city_id", "feed_id", "file", "outcome", "records")),
        sa.column("records_rejected"),
        sa.column("started_at", UTC),
    )
    p = pulls.c
    stmt = sa.select(
        p.city_id, p.feed_id, p.file, p.started_at, p.outcome, p.records, p.records_rejected
    ).order_by(p.feed_id, p.started_at)
    found: dict[tuple[int, dt.datetime], dict[str, Any]] = {}
    for row in op.get_bind().execute(stmt):
        seconds = row.started_at.timestamp()
        start = dt.datetime.fromtimestamp(seconds - seconds % SLOT_S, tz=dt.UTC)
        s = found.get((row.feed_id, start))
        if s is None:
            s = found[row.feed_id, start] = {
                "city_id": row.city_id,
                "feed_id": row.feed_id,
                "slot_start": start,
                "pulls": 0,
                "failed": 0,
                "vehicle_pulls": 0,
                "last_new_at": None,
                "last_new_vehicles": None,
                "snapshots": 0,
                "vehicles_sum": 0,
                "vehicles_peak": None,
            }
        s["pulls"] += 1
        s["failed"] += row.outcome == "error"
        if row.file not in VEHICLE_FILES:
            continue
        s["vehicle_pulls"] += 1
        if row.outcome != "ok":
            continue
        vehicles = None
        if row.file in GBFS_VEHICLE_FILES and row.records is not None:
            vehicles = row.records - (row.records_rejected or 0)
            s["snapshots"] += 1
            s["vehicles_sum"] += vehicles
            s["vehicles_peak"] = max(vehicles, s["vehicles_peak"] or 0)
        s["last_new_at"] = row.started_at
        s["last_new_vehicles"] = vehicles
    if found:
        op.bulk_insert(slots, list(found.values()))


def downgrade() -> None:
    with op.batch_alter_table("feed_pull_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_pull_slot_city_id"))
    op.drop_table("feed_pull_slot")
