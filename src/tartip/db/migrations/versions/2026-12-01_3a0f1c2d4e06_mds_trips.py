"""MDS: trips, vehicle events, telemetry, Agency registrations and Provider pull progress

Revision ID: 3a0f1c2d4e06
Revises: 3a0f1c2d4e05
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e06"
down_revision: str | None = "3a0f1c2d4e05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = tartip.db.types.UTCDateTime(timezone=True)
    op.create_table(
        "trip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=True),
        sa.Column("vehicle_type", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("start_time", utc, nullable=False),
        sa.Column("end_time", utc, nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("start_lon", sa.Double(), nullable=False),
        sa.Column("start_lat", sa.Double(), nullable=False),
        sa.Column("end_lon", sa.Double(), nullable=False),
        sa.Column("end_lat", sa.Double(), nullable=False),
        sa.Column("start_district", sa.Integer(), nullable=True),
        sa.Column("end_district", sa.Integer(), nullable=True),
        sa.Column("route", tartip.db.types.Geometry("LineString"), nullable=True),
        sa.Column("received_at", utc, nullable=False),
        sa.Column("anonymised_at", utc, nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_trip_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_trip_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trip")),
        sa.UniqueConstraint("company_id", "trip_id", name=op.f("uq_trip_company_id_trip_id")),
    )
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trip_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trip_device_id"), ["device_id"], unique=False)
        batch_op.create_index("ix_trip_city_start_time", ["city_id", "start_time"], unique=False)


def downgrade() -> None:
    op.drop_table("trip")
