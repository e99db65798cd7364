"""districts and trip statistics (the daily rollup of trips by hour, company and district)

Revision ID: 3a0f1c2d4e07
Revises: 3a0f1c2d4e06
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e07"
down_revision: str | None = "3a0f1c2d4e06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("name_kk", sa.String(length=200), nullable=False),
        sa.Column("geometry", tartip.db.types.Geometry("MultiPolygon"), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_district_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
        sa.UniqueConstraint("city_id", "code", name=op.f("uq_district_city_id_code")),
    )
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_district_city_id"), ["city_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_district_geometry_gist ON district USING gist (geometry)")

    # The rollup job finds new trips by when they were received.
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.create_index("ix_trip_city_received_at", ["city_id", "received_at"], unique=False)

    _create_rollup(
        "trip_rollup",
        ("hour", "start_district", "end_district"),
        [
            sa.Column("hour", sa.Integer(), nullable=False),
            sa.Column("start_district", sa.Integer(), nullable=False),
            sa.Column("end_district", sa.Integer(), nullable=False),
            sa.Column("trips", sa.Integer(), nullable=False),
            sa.Column("duration_s", sa.BigInteger(), nullable=False),
            sa.Column("distance_m", sa.BigInteger(), nullable=False),
        ],
    )
    _create_rollup(
        "trip_measure_rollup",
        ("measure", "bin"),
        [
            sa.Column("measure", sa.String(length=16), nullable=False),
            sa.Column("bin", sa.Integer(), nullable=False),
            sa.Column("trips", sa.Integer(), nullable=False),
        ],
    )
    _create_rollup(
        "trip_zone_rollup",
        ("zone_id",),
        [
            sa.Column("zone_id", sa.Integer(), nullable=False),
            sa.Column("starts", sa.Integer(), nullable=False),
            sa.Column("ends", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["zone_id"],
                ["zone.id"],
                name=op.f("fk_trip_zone_rollup_zone_id_zone"),
                ondelete="CASCADE",
            ),
        ],
    )
    _create_rollup(
        "trip_cell_rollup",
        ("cell_x", "cell_y"),
        [
            sa.Column("cell_x", sa.Integer(), nullable=False),
            sa.Column("cell_y", sa.Integer(), nullable=False),
            sa.Column("starts", sa.Integer(), nullable=False),
            sa.Column("ends", sa.Integer(), nullable=False),
        ],
    )

    op.create_table(
        "trip_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watermark", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_days", sa.JSON(), nullable=False),
        sa.Column("rolled_up_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("days_rebuilt", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_trip_rollup_state_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trip_rollup_state")),
        sa.UniqueConstraint("city_id", name=op.f("uq_trip_rollup_state_city_id")),
    )
    with op.batch_alter_table("trip_rollup_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trip_rollup_state_city_id"), ["city_id"], unique=False)


def _create_rollup(table: str, grain: tuple[str, ...], columns: list[sa.schema.SchemaItem]) -> None:
    """A daily rollup table: city, company, local date, its own grain and figures."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        *columns,
        sa.Column("city_id", sa.Integer(), nullable=False),
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
        sa.UniqueConstraint(
            "city_id",
            "local_date",
            "company_id",
            *grain,
            name=f"uq_{table}_grain",
        ),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_city_id"), ["city_id"], unique=False)


def downgrade() -> None:
    op.drop_table("trip_rollup_state")
    for table in ("trip_cell_rollup", "trip_zone_rollup", "trip_measure_rollup", "trip_rollup"):
        op.drop_table(table)
    with op.batch_alter_table("trip", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_city_received_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_district_geometry_gist")
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_city_id"))
    op.drop_table("district")
