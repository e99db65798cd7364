"""Vision Zero: incidents; sustainability assumptions

Revision ID: 3a0f1c2d4e09
Revises: 3a0f1c2d4e08
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e09"
down_revision: str | None = "3a0f1c2d4e08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
# (table, index name, columns): created after the tables.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("incident", "ix_incident_city_id", ["city_id"]),
    ("incident", "ix_incident_company_id", ["company_id"]),
    ("incident", "ix_incident_city_occurred", ["city_id", "occurred_at"]),
    ("sustainability_assumptions", "ix_sustainability_assumptions_city_id", ["city_id"]),
]
TABLES = ["incident", "sustainability_assumptions"]


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_code", sa.String(length=255), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=True),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_incident_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_incident_company_id_company"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_incident_reported_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint(
            "reported_by_user_id",
            "external_ref",
            name=op.f("uq_incident_reported_by_user_id_external_ref"),
        ),
    )
    op.create_table(
        "sustainability_assumptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("car_trip_share", sa.Double(), nullable=False),
        sa.Column("car_km_per_scooter_km", sa.Double(), nullable=False),
        sa.Column("car_co2_g_per_km", sa.Double(), nullable=False),
        sa.Column("scooter_co2_g_per_km", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_sustainability_assumptions_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sustainability_assumptions")),
        sa.UniqueConstraint("city_id", name=op.f("uq_sustainability_assumptions_city_id")),
    )
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(name), columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(name))
    for table in reversed(TABLES):
        op.drop_table(table)
