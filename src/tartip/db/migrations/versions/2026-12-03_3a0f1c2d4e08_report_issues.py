"""the operator's reports: issued versions and their files

Revision ID: 3a0f1c2d4e08
Revises: 3a0f1c2d4e07
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e08"
down_revision: str | None = "3a0f1c2d4e07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
# (table, index name, columns): created after the tables.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("report_issue", "ix_report_issue_city_id", ["city_id"]),
    ("report_issue", "ix_report_issue_city_period", ["city_id", "period_first"]),
    ("report_issue_file", "ix_report_issue_file_city_id", ["city_id"]),
    ("report_issue_file", "ix_report_issue_file_issue_id", ["issue_id"]),
]
TABLES = ["report_issue", "report_issue_file"]


def upgrade() -> None:
    op.create_table(
        "report_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_report_issue_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_issue_issued_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_issue")),
        sa.UniqueConstraint(
            "city_id",
            "period_first",
            "period_last",
            "version",
            name=op.f("uq_report_issue_city_id_period_first_period_last_version"),
        ),
    )
    op.create_table(
        "report_issue_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_report_issue_file_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["report_issue.id"],
            name=op.f("fk_report_issue_file_issue_id_report_issue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_issue_file")),
        sa.UniqueConstraint(
            "issue_id",
            "format",
            "locale",
            name=op.f("uq_report_issue_file_issue_id_format_locale"),
        ),
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
