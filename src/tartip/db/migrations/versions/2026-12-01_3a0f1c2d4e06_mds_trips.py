"""MDS: trips, vehicle events, telemetry, Agency registrations and Provider pull progress

Revision ID: 3a0f1c2d4e06
Revises: 3a0f1c2d4e05
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

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
    _vehicle_event(utc)
    _telemetry(utc)
    _vehicle(utc)
    _pull_progress(utc)
    _report(utc)
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auth", sa.String(length=16), nullable=False, server_default="none")
        )
        batch_op.add_column(sa.Column("auth_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("auth_client_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("auth_token_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("auth_scope", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("mds_config", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        for column in (
            "mds_config",
            "auth_scope",
            "auth_token_url",
            "auth_client_id",
            "auth_secret",
            "auth",
        ):
            batch_op.drop_column(column)
    for table in ("mds_report", "mds_pull_progress", "mds_vehicle", "mds_telemetry"):
        op.drop_table(table)
    op.drop_table("mds_vehicle_event")
    op.drop_table("trip")


def _keys(table: str) -> list[Any]:
    """The id, city and company columns with their constraints, as every MDS table has them."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f(f"fk_{table}_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f(f"fk_{table}_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _vehicle_event(utc: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        "mds_vehicle_event",
        *_keys("mds_vehicle_event"),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("event_types_key", sa.String(length=255), nullable=False),
        sa.Column("vehicle_state", sa.String(length=32), nullable=False),
        sa.Column("previous_state", sa.String(length=32), nullable=True),
        sa.Column("timestamp", utc, nullable=False),
        sa.Column("publication_time", utc, nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("trip_ids", sa.JSON(), nullable=False),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", utc, nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.String(length=255), nullable=True),
        sa.UniqueConstraint(
            "company_id", "event_id", name=op.f("uq_mds_vehicle_event_company_id_event_id")
        ),
        sa.UniqueConstraint(
            "company_id",
            "device_id",
            "timestamp",
            "event_types_key",
            name="uq_mds_vehicle_event_device_time_types",
        ),
    )
    with op.batch_alter_table("mds_vehicle_event", schema=None) as batch_op:
        batch_op.create_index("ix_mds_vehicle_event_city_timestamp", ["city_id", "timestamp"])


def _telemetry(utc: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        "mds_telemetry",
        *_keys("mds_telemetry"),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("telemetry_id", sa.String(length=36), nullable=False),
        sa.Column("timestamp", utc, nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("trip_ids", sa.JSON(), nullable=False),
        sa.Column("speed", sa.Double(), nullable=True),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", utc, nullable=False),
        sa.UniqueConstraint(
            "company_id", "telemetry_id", name=op.f("uq_mds_telemetry_company_id_telemetry_id")
        ),
    )
    with op.batch_alter_table("mds_telemetry", schema=None) as batch_op:
        batch_op.create_index("ix_mds_telemetry_city_timestamp", ["city_id", "timestamp"])


def _vehicle(utc: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        "mds_vehicle",
        *_keys("mds_vehicle"),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=True),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("vehicle_type", sa.String(length=32), nullable=True),
        sa.Column("propulsion_types", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("registered_at", utc, nullable=True),
        sa.Column("updated_at", utc, nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("state_event_types", sa.JSON(), nullable=False),
        sa.Column("state_at", utc, nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.UniqueConstraint(
            "company_id", "device_id", name=op.f("uq_mds_vehicle_company_id_device_id")
        ),
    )
    with op.batch_alter_table("mds_vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mds_vehicle_city_id"), ["city_id"])
        batch_op.create_index("ix_mds_vehicle_company_vehicle_id", ["company_id", "vehicle_id"])


def _pull_progress(utc: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        "mds_pull_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("next_at", utc, nullable=True),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("last_attempt_at", utc, nullable=True),
        sa.Column("last_success_at", utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("records_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_mds_pull_progress_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed.id"],
            name=op.f("fk_mds_pull_progress_feed_id_feed"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mds_pull_progress")),
        sa.UniqueConstraint(
            "feed_id", "endpoint", name=op.f("uq_mds_pull_progress_feed_id_endpoint")
        ),
    )
    with op.batch_alter_table("mds_pull_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mds_pull_progress_city_id"), ["city_id"])


def _report(utc: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        "mds_report",
        *_keys("mds_report"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("duration", sa.String(length=16), nullable=False),
        sa.Column("special_group_type", sa.String(length=64), nullable=False),
        sa.Column("geography_id", sa.String(length=36), nullable=False),
        sa.Column("vehicle_type", sa.String(length=32), nullable=False),
        sa.Column("trip_count", sa.Integer(), nullable=True),
        sa.Column("rider_count", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", utc, nullable=False),
        sa.UniqueConstraint(
            "company_id",
            "start_date",
            "duration",
            "special_group_type",
            "geography_id",
            "vehicle_type",
            name="uq_mds_report_row",
        ),
    )
    with op.batch_alter_table("mds_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mds_report_city_id"), ["city_id"])
