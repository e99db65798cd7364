"""zones, their published versions, mass events and their zones

Revision ID: 3a0f1c2d4e01
Revises: eb0820843184
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e01"
down_revision: str | None = "eb0820843184"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# GiST indexes on the zone geometries, PostgreSQL only (SQLite keeps WKB and filters in Shapely).
GIST = (
    ("ix_zone_area_gist", "zone", "area"),
    ("ix_zone_geometry_gist", "zone", "geometry"),
    ("ix_zone_version_area_gist", "zone_version", "area"),
)


def upgrade() -> None:
    op.create_table(
        "city_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("venue_name", sa.String(length=200), nullable=False),
        sa.Column("venue_lon", sa.Double(), nullable=False),
        sa.Column("venue_lat", sa.Double(), nullable=False),
        sa.Column("starts_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("margin_before_min", sa.Integer(), nullable=False),
        sa.Column("margin_after_min", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_city_event_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_event")),
    )
    with op.batch_alter_table("city_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_city_event_city_id"), ["city_id"], unique=False)
        batch_op.create_index("ix_city_event_city_starts", ["city_id", "starts_at"], unique=False)

    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("geometry", tartip.db.types.Geometry("Geometry"), nullable=False),
        sa.Column("radius_m", sa.Double(), nullable=True),
        sa.Column("area", tartip.db.types.Geometry("MultiPolygon"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("speed_limit_kph", sa.Integer(), nullable=True),
        sa.Column("target_load", sa.Integer(), nullable=True),
        sa.Column("parking_required", sa.Boolean(), nullable=False),
        sa.Column("company_ids", sa.JSON(), nullable=False),
        sa.Column("fleet_caps", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("active_from", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active_until", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_zone_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone")),
        sa.UniqueConstraint("uid", name=op.f("uq_zone_uid")),
    )
    with op.batch_alter_table("zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_city_id"), ["city_id"], unique=False)
        batch_op.create_index("ix_zone_city_phase", ["city_id", "phase"], unique=False)

    op.create_table(
        "city_event_zone",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["city_event.id"],
            name=op.f("fk_city_event_zone_event_id_city_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
            name=op.f("fk_city_event_zone_zone_id_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "zone_id", name=op.f("pk_city_event_zone")),
        sa.UniqueConstraint("zone_id", name=op.f("uq_city_event_zone_zone_id")),
    )
    op.create_table(
        "zone_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("in_force_from", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_force_until", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("geometry", tartip.db.types.Geometry("Geometry"), nullable=False),
        sa.Column("radius_m", sa.Double(), nullable=True),
        sa.Column("area", tartip.db.types.Geometry("MultiPolygon"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("speed_limit_kph", sa.Integer(), nullable=True),
        sa.Column("target_load", sa.Integer(), nullable=True),
        sa.Column("parking_required", sa.Boolean(), nullable=False),
        sa.Column("company_ids", sa.JSON(), nullable=False),
        sa.Column("fleet_caps", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("active_from", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active_until", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_zone_version_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_zone_version_zone_id_zone"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_version")),
        sa.UniqueConstraint("uid", name=op.f("uq_zone_version_uid")),
        sa.UniqueConstraint("zone_id", "version", name=op.f("uq_zone_version_zone_id_version")),
    )
    with op.batch_alter_table("zone_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_version_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            "ix_zone_version_city_in_force", ["city_id", "in_force_from"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_zone_version_zone_id"), ["zone_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for name, table, column in GIST:
            op.execute(f"CREATE INDEX {name} ON {table} USING gist ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in GIST:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("zone_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zone_version_zone_id"))
        batch_op.drop_index("ix_zone_version_city_in_force")
        batch_op.drop_index(batch_op.f("ix_zone_version_city_id"))

    op.drop_table("zone_version")
    op.drop_table("city_event_zone")
    with op.batch_alter_table("zone", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_city_phase")
        batch_op.drop_index(batch_op.f("ix_zone_city_id"))

    op.drop_table("zone")
    with op.batch_alter_table("city_event", schema=None) as batch_op:
        batch_op.drop_index("ix_city_event_city_starts")
        batch_op.drop_index(batch_op.f("ix_city_event_city_id"))

    op.drop_table("city_event")
