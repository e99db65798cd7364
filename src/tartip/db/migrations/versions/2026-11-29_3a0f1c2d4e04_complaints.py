"""complaints, their matched vehicles, photos and answers, the city's policy; the e-mail outbox

Revision ID: 3a0f1c2d4e04
Revises: 3a0f1c2d4e03
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e04"
down_revision: str | None = "3a0f1c2d4e03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
# (table, index name or None for the conventional one, columns, unique): created after the tables.
INDEXES: list[tuple[str, str | None, list[str]]] = [
    ("notify_outbound_email", None, ["city_id"]),
    ("notify_outbound_email", None, ["ref"]),
    (
        "notify_outbound_email",
        "ix_notify_outbound_email_status_next",
        ["status", "next_attempt_at"],
    ),
    ("complaint", None, ["city_id"]),
    ("complaint", None, ["due_at"]),
    ("complaint", None, ["zone_id"]),
    ("complaint", None, ["task_id"]),
    ("complaint", None, ["closed_at"]),
    ("complaint", "ix_complaint_city_status", ["city_id", "status"]),
    ("complaint", "ix_complaint_city_received", ["city_id", "received_at"]),
    ("complaint_transition", None, ["city_id"]),
    ("complaint_transition", None, ["complaint_id"]),
    ("complaint_vehicle", None, ["city_id"]),
    ("complaint_vehicle", None, ["complaint_id"]),
    ("complaint_vehicle", None, ["company_id"]),
    ("complaint_company", None, ["city_id"]),
    ("complaint_company", None, ["complaint_id"]),
    ("complaint_company", None, ["company_id"]),
    ("complaint_comment", None, ["city_id"]),
    ("complaint_comment", None, ["complaint_id"]),
    ("complaint_comment", None, ["company_id"]),
    ("complaint_photo", None, ["city_id"]),
    ("complaint_photo", None, ["complaint_id"]),
    ("complaint_due_time", None, ["city_id"]),
    ("complaint_policy", None, ["city_id"]),
]
TABLES = [
    "notify_outbound_email",
    "complaint",
    "complaint_transition",
    "complaint_vehicle",
    "complaint_company",
    "complaint_comment",
    "complaint_photo",
    "complaint_due_time",
    "complaint_policy",
]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def _city(table: str) -> list[Any]:
    return [
        sa.Column("city_id", sa.Integer(), nullable=False),
        _fk(table, "city_id", "city.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _user(table: str, column: str) -> list[Any]:
    return [
        sa.Column(column, sa.Integer(), nullable=True),
        _fk(table, column, "user_account.id", "SET NULL"),
    ]


def _of_complaint(table: str) -> list[Any]:
    return [
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        _fk(table, "complaint_id", "complaint.id", "CASCADE"),
    ]


def _company(table: str, *, nullable: bool) -> list[Any]:
    return [
        sa.Column("company_id", sa.Integer(), nullable=nullable),
        _fk(table, "company_id", "company.id", "CASCADE"),
    ]


def _outbox() -> None:
    op.create_table(
        "notify_outbound_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("notify_outbound_email"),
        sa.UniqueConstraint("message_id", name=op.f("uq_notify_outbound_email_message_id")),
    )


def _complaint() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("contact_removed_at", UTC, nullable=True),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        *_user("complaint", "filed_by_user_id"),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("damage_ref", sa.String(length=64), nullable=True),
        sa.Column("taken_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        *_city("complaint"),
        _fk("complaint", "zone_id", "zone.id", "SET NULL"),
        _fk("complaint", "task_id", "ops_task.id", "SET NULL"),
        sa.UniqueConstraint("reference", name=op.f("uq_complaint_reference")),
        sa.UniqueConstraint(
            "city_id",
            "filed_by_user_id",
            "external_ref",
            name=op.f("uq_complaint_city_id_filed_by_user_id_external_ref"),
        ),
    )


def _matches() -> None:
    op.create_table(
        "complaint_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        *_of_complaint("complaint_transition"),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        *_user("complaint_transition", "by_user_id"),
        sa.Column("note", sa.Text(), nullable=False),
        *_city("complaint_transition"),
    )
    op.create_table(
        "complaint_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        *_of_complaint("complaint_vehicle"),
        *_company("complaint_vehicle", nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=True),
        sa.Column("seen_at", UTC, nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        *_city("complaint_vehicle"),
        sa.UniqueConstraint(
            "complaint_id",
            "company_id",
            "vehicle_id",
            name=op.f("uq_complaint_vehicle_complaint_id_company_id_vehicle_id"),
        ),
    )
    op.create_table(
        "complaint_company",
        sa.Column("id", sa.Integer(), nullable=False),
        *_of_complaint("complaint_company"),
        *_company("complaint_company", nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("routed_at", UTC, nullable=True),
        sa.Column("routed_by", sa.String(length=200), nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        *_city("complaint_company"),
        sa.UniqueConstraint(
            "complaint_id", "company_id", name=op.f("uq_complaint_company_complaint_id_company_id")
        ),
    )


def _notes() -> None:
    op.create_table(
        "complaint_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        *_of_complaint("complaint_comment"),
        *_company("complaint_comment", nullable=True),
        sa.Column("by_company", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        *_user("complaint_comment", "author_user_id"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        *_city("complaint_comment"),
    )
    op.create_table(
        "complaint_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        *_of_complaint("complaint_photo"),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        *_user("complaint_photo", "uploaded_by_user_id"),
        sa.Column("uploaded_at", UTC, nullable=False),
        *_city("complaint_photo"),
    )
    op.create_table(
        "complaint_due_time",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        *_city("complaint_due_time"),
        sa.UniqueConstraint(
            "city_id",
            "category",
            "source",
            name=op.f("uq_complaint_due_time_city_id_category_source"),
        ),
    )
    op.create_table(
        "complaint_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auto_route", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        *_city("complaint_policy"),
        sa.UniqueConstraint("city_id", name=op.f("uq_complaint_policy_city_id")),
    )


def _index_name(table: str, name: str | None, columns: list[str]) -> str:
    return name or f"ix_{table}_{columns[0]}"


def upgrade() -> None:
    _outbox()
    _complaint()
    _matches()
    _notes()
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(_index_name(table, name, columns), columns, unique=False)


def downgrade() -> None:
    for table, name, columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(_index_name(table, name, columns))
    for table in reversed(TABLES):
        op.drop_table(table)
