"""compliance: violations, threshold overrides, duty-zone loads

Revision ID: 3a0f1c2d4e02
Revises: 3a0f1c2d4e01
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e02"
down_revision: str | None = "3a0f1c2d4e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _city_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["city_id"], ["city.id"], name=op.f(f"fk_{table}_city_id_city"), ondelete="CASCADE"
    )


def upgrade() -> None:
    utc = tartip.db.types.UTCDateTime(timezone=True)
    op.create_table(
        "violation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("max_count", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("vehicles", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", utc, nullable=True),
        sa.Column("opened_at", utc, nullable=False),
        sa.Column("last_seen_at", utc, nullable=False),
        sa.Column("cleared_at", utc, nullable=True),
        sa.Column("closed_at", utc, nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        _city_fk("violation"),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_violation_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_violation_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
        sa.UniqueConstraint("city_id", "open_key", name=op.f("uq_violation_city_id_open_key")),
    )
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_violation_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_zone_id"), ["zone_id"], unique=False)
        batch_op.create_index(
            "ix_violation_city_kind_opened", ["city_id", "kind", "opened_at"], unique=False
        )
        batch_op.create_index("ix_violation_city_closed", ["city_id", "closed_at"], unique=False)

    op.create_table(
        "compliance_threshold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", utc, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        _city_fk("compliance_threshold"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_threshold")),
        sa.UniqueConstraint("city_id", "level", name=op.f("uq_compliance_threshold_city_id_level")),
    )
    with op.batch_alter_table("compliance_threshold", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_threshold_city_id"), ["city_id"], unique=False
        )

    op.create_table(
        "duty_zone_load",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("at", utc, nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("target_load", sa.Integer(), nullable=True),
        sa.Column("open_violations", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        _city_fk("duty_zone_load"),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
            name=op.f("fk_duty_zone_load_zone_id_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_zone_load")),
    )
    with op.batch_alter_table("duty_zone_load", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_zone_load_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_zone_load_city_id"), ["city_id"], unique=False)
        batch_op.create_index("ix_duty_zone_load_zone_at", ["zone_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duty_zone_load", schema=None) as batch_op:
        batch_op.drop_index("ix_duty_zone_load_zone_at")
        batch_op.drop_index(batch_op.f("ix_duty_zone_load_city_id"))
        batch_op.drop_index(batch_op.f("ix_duty_zone_load_at"))
    op.drop_table("duty_zone_load")
    with op.batch_alter_table("compliance_threshold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_threshold_city_id"))
    op.drop_table("compliance_threshold")
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.drop_index("ix_violation_city_closed")
        batch_op.drop_index("ix_violation_city_kind_opened")
        batch_op.drop_index(batch_op.f("ix_violation_zone_id"))
        batch_op.drop_index(batch_op.f("ix_violation_company_id"))
        batch_op.drop_index(batch_op.f("ix_violation_city_id"))
    op.drop_table("violation")
