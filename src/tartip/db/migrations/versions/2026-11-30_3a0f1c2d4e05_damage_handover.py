"""damage cases, handovers to companies, company agreements, webhook endpoints and deliveries

Revision ID: 3a0f1c2d4e05
Revises: 3a0f1c2d4e04
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e05"
down_revision: str | None = "3a0f1c2d4e04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
# (table, index name or None for the conventional one, columns): created after the tables.
INDEXES: list[tuple[str, str | None, list[str]]] = [
    ("damage_case", None, ["city_id"]),
    ("damage_case", None, ["company_id"]),
    ("damage_case", "ix_damage_case_city_first_reported", ["city_id", "first_reported_at"]),
    ("damage_case_report", None, ["city_id"]),
    ("damage_case_report", None, ["case_id"]),
    ("damage_photo", None, ["city_id"]),
    ("damage_photo", None, ["case_id"]),
    ("damage_handover_batch", None, ["city_id"]),
    ("damage_handover_batch", None, ["company_id"]),
    ("damage_handover", None, ["city_id"]),
    ("damage_handover", None, ["company_id"]),
    ("damage_handover", None, ["batch_id"]),
    ("damage_handover", "ix_damage_handover_city_status_due", ["city_id", "status", "due_at"]),
    ("damage_handover", "ix_damage_handover_city_handed_over", ["city_id", "handed_over_at"]),
    ("damage_handover_event", None, ["city_id"]),
    ("damage_handover_event", None, ["handover_id"]),
    (
        "damage_handover_event",
        "ix_damage_handover_event_city_dispatched",
        ["city_id", "dispatched_at"],
    ),
    ("damage_agreement", None, ["city_id"]),
    ("damage_policy", None, ["city_id"]),
    ("damage_webhook_endpoint", None, ["city_id"]),
    ("damage_webhook_delivery", None, ["city_id"]),
    ("damage_webhook_delivery", None, ["company_id"]),
    ("damage_webhook_delivery", None, ["endpoint_id"]),
    ("damage_webhook_delivery", None, ["handover_id"]),
    (
        "damage_webhook_delivery",
        "ix_damage_webhook_delivery_status_next",
        ["status", "next_attempt_at"],
    ),
    ("damage_webhook_attempt", None, ["city_id"]),
    ("damage_webhook_attempt", None, ["delivery_id"]),
]
TABLES = [
    "damage_case",
    "damage_case_report",
    "damage_photo",
    "damage_handover_batch",
    "damage_handover",
    "damage_handover_event",
    "damage_agreement",
    "damage_policy",
    "damage_webhook_endpoint",
    "damage_webhook_delivery",
    "damage_webhook_attempt",
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


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    kind: Any = sa.String(length=length) if length else sa.Text()
    return sa.Column(name, kind, nullable=nullable)


def _case_tables() -> None:
    op.create_table(
        "damage_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        _text("vehicle_code", 255),
        _text("feed_vehicle_id", 255, nullable=True),
        _text("key", 300),
        _text("open_key", 300, nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        _text("description"),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("first_reported_at", UTC, nullable=False),
        sa.Column("last_reported_at", UTC, nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("damage_case"),
        _fk("damage_case", "company_id", "company.id", "CASCADE"),
        _unique("damage_case", "city_id", "open_key"),
    )
    op.create_table(
        "damage_case_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        _text("source", 16),
        _text("source_key", 300),
        sa.Column("ops_damage_report_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        _text("code", 500),
        sa.Column("kinds", sa.JSON(), nullable=False),
        _text("description"),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("reported_at", UTC, nullable=False),
        _text("reported_by", 200),
        sa.Column("user_id", sa.Integer(), nullable=True),
        *_city("damage_case_report"),
        _fk("damage_case_report", "case_id", "damage_case.id", "CASCADE"),
        _fk("damage_case_report", "ops_damage_report_id", "ops_damage_report.id", "SET NULL"),
        _fk("damage_case_report", "user_id", "user_account.id", "SET NULL"),
        _unique("damage_case_report", "city_id", "source_key"),
    )
    op.create_table(
        "damage_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        _text("path", 300),
        sa.Column("added_at", UTC, nullable=False),
        *_city("damage_photo"),
        _fk("damage_photo", "case_id", "damage_case.id", "CASCADE"),
        _fk("damage_photo", "report_id", "damage_case_report.id", "SET NULL"),
    )


def _handover_tables() -> None:
    op.create_table(
        "damage_handover_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _text("reference", 32),
        sa.Column("created_at", UTC, nullable=False),
        _text("created_by", 200),
        _text("handed_over_by", 200),
        _text("received_by", 200),
        sa.Column("received_at", UTC, nullable=True),
        _text("note"),
        *_city("damage_handover_batch"),
        _fk("damage_handover_batch", "company_id", "company.id", "CASCADE"),
        _unique("damage_handover_batch", "city_id", "reference"),
    )
    op.create_table(
        "damage_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _text("reference", 32),
        _text("status", 16),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("handed_over_at", UTC, nullable=False),
        _text("handed_over_by", 200),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        _text("acknowledged_by", 200, nullable=True),
        sa.Column("collected_at", UTC, nullable=True),
        _text("collected_by", 200, nullable=True),
        _text("collected_via", 16, nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        _text("resolved_by", 200, nullable=True),
        _text("resolution"),
        sa.Column("cancelled_at", UTC, nullable=True),
        _text("cancelled_by", 200, nullable=True),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        *_city("damage_handover"),
        _fk("damage_handover", "case_id", "damage_case.id", "CASCADE"),
        _fk("damage_handover", "company_id", "company.id", "CASCADE"),
        _fk("damage_handover", "batch_id", "damage_handover_batch.id", "SET NULL"),
        _unique("damage_handover", "case_id"),
        _unique("damage_handover", "city_id", "reference"),
    )
    op.create_table(
        "damage_handover_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        _text("kind", 32),
        sa.Column("at", UTC, nullable=False),
        _text("actor", 200),
        _text("note"),
        sa.Column("dispatched_at", UTC, nullable=True),
        *_city("damage_handover_event"),
        _fk("damage_handover_event", "handover_id", "damage_handover.id", "CASCADE"),
    )


def _setting_tables() -> None:
    op.create_table(
        "damage_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("collect_within_h", sa.Double(), nullable=False),
        sa.Column("deliver_webhook", sa.Boolean(), nullable=False),
        sa.Column("deliver_email", sa.Boolean(), nullable=False),
        _text("email", 320, nullable=True),
        sa.Column("fleet_cap", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        _text("updated_by", 200),
        *_city("damage_agreement"),
        _fk("damage_agreement", "company_id", "company.id", "CASCADE"),
        _unique("damage_agreement", "company_id"),
    )
    op.create_table(
        "damage_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disabled_after_h", sa.Double(), nullable=False),
        _text("escalation_emails"),
        sa.Column("updated_at", UTC, nullable=False),
        _text("updated_by", 200),
        *_city("damage_policy"),
        _unique("damage_policy", "city_id"),
    )


def _webhook_tables() -> None:
    op.create_table(
        "damage_webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        _text("url", 2000),
        _text("secret", 200),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _text("updated_by", 200),
        *_city("damage_webhook_endpoint"),
        _fk("damage_webhook_endpoint", "company_id", "company.id", "CASCADE"),
        _unique("damage_webhook_endpoint", "company_id"),
    )
    op.create_table(
        "damage_webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("delivery_id", 36),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        _text("event_type", 64),
        _text("body"),
        _text("status", 16),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        _text("last_error", nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("damage_webhook_delivery"),
        _fk("damage_webhook_delivery", "company_id", "company.id", "CASCADE"),
        _fk("damage_webhook_delivery", "endpoint_id", "damage_webhook_endpoint.id", "CASCADE"),
        _fk("damage_webhook_delivery", "handover_id", "damage_handover.id", "SET NULL"),
        _unique("damage_webhook_delivery", "delivery_id"),
    )
    op.create_table(
        "damage_webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        _text("error", nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        _text("response_excerpt"),
        *_city("damage_webhook_attempt"),
        _fk("damage_webhook_attempt", "delivery_id", "damage_webhook_delivery.id", "CASCADE"),
    )


def _index_name(table: str, name: str | None, columns: list[str]) -> str:
    return name or f"ix_{table}_{columns[0]}"


def upgrade() -> None:
    _case_tables()
    _handover_tables()
    _setting_tables()
    _webhook_tables()
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(_index_name(table, name, columns), columns, unique=False)


def downgrade() -> None:
    for table, name, columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(_index_name(table, name, columns))
    for table in reversed(TABLES):
        op.drop_table(table)
