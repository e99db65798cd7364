"""field operations: teams, staff profiles, shifts, tasks, assignments, work logs, photos, damage
reports and the phones' sync log

Revision ID: 3a0f1c2d4e03
Revises: 3a0f1c2d4e02
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "3a0f1c2d4e03"
down_revision: str | None = "3a0f1c2d4e02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tartip.db.types.UTCDateTime(timezone=True)
# (table, index name or None for the conventional one, columns): created after each table.
INDEXES: list[tuple[str, str | None, list[str]]] = [
    ("ops_team", None, ["city_id"]),
    ("ops_staff_profile", None, ["city_id"]),
    ("ops_staff_profile", None, ["team_id"]),
    ("ops_shift", None, ["city_id"]),
    ("ops_shift", None, ["user_id"]),
    ("ops_shift", None, ["city_event_id"]),
    ("ops_shift", "ix_ops_shift_city_starts", ["city_id", "starts_at"]),
    ("ops_task", None, ["city_id"]),
    ("ops_task", None, ["zone_id"]),
    ("ops_task", "ix_ops_task_city_state", ["city_id", "state"]),
    ("ops_task", "ix_ops_task_scout_state", ["scout_id", "state"]),
    ("ops_task_assignment", None, ["city_id"]),
    ("ops_task_assignment", None, ["task_id"]),
    ("ops_work_log", None, ["city_id"]),
    ("ops_work_log", None, ["scout_id"]),
    ("ops_work_log", None, ["zone_id"]),
    ("ops_work_log", "ix_ops_work_log_city_finished", ["city_id", "finished_at"]),
    ("ops_work_log_count", None, ["city_id"]),
    ("ops_work_log_count", None, ["work_log_id"]),
    ("ops_work_log_count", None, ["company_id"]),
    ("ops_work_photo", None, ["city_id"]),
    ("ops_work_photo", None, ["task_id"]),
    ("ops_damage_report", None, ["city_id"]),
    ("ops_damage_report", None, ["company_id"]),
    ("ops_sync_action", None, ["city_id"]),
    ("ops_sync_action", None, ["user_id"]),
]
TABLES = [
    "ops_team",
    "ops_staff_profile",
    "ops_shift",
    "ops_task",
    "ops_task_assignment",
    "ops_work_log",
    "ops_work_log_count",
    "ops_work_photo",
    "ops_damage_report",
    "ops_sync_action",
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


def _user(table: str, column: str, *, nullable: bool = True) -> list[Any]:
    ondelete = "SET NULL" if nullable else "CASCADE"
    return [
        sa.Column(column, sa.Integer(), nullable=nullable),
        _fk(table, column, "user_account.id", ondelete),
    ]


def _staff_tables() -> None:
    op.create_table(
        "ops_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        *_city("ops_team"),
        sa.UniqueConstraint("city_id", "name", name=op.f("uq_ops_team_city_id_name")),
    )
    op.create_table(
        "ops_staff_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user("ops_staff_profile", "user_id", nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("travel_mode", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("last_lon", sa.Double(), nullable=True),
        sa.Column("last_lat", sa.Double(), nullable=True),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("ops_staff_profile"),
        _fk("ops_staff_profile", "team_id", "ops_team.id", "SET NULL"),
        sa.UniqueConstraint("user_id", name=op.f("uq_ops_staff_profile_user_id")),
    )
    op.create_table(
        "ops_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user("ops_shift", "user_id", nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("zone_ids", sa.JSON(), nullable=False),
        sa.Column("city_event_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checked_in_at", UTC, nullable=True),
        sa.Column("check_in_lon", sa.Double(), nullable=True),
        sa.Column("check_in_lat", sa.Double(), nullable=True),
        sa.Column("checked_out_at", UTC, nullable=True),
        sa.Column("check_out_lon", sa.Double(), nullable=True),
        sa.Column("check_out_lat", sa.Double(), nullable=True),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("ops_shift"),
        _fk("ops_shift", "city_event_id", "city_event.id", "SET NULL"),
    )


def _task_tables() -> None:
    op.create_table(
        "ops_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("deadline", UTC, nullable=True),
        sa.Column("violation_id", sa.Integer(), nullable=True),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("company_ids", sa.JSON(), nullable=False),
        sa.Column("vehicles", sa.JSON(), nullable=False),
        *_user("ops_task", "scout_id"),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("route_seq", sa.Integer(), nullable=True),
        sa.Column("eta", UTC, nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("assigned_at", UTC, nullable=True),
        sa.Column("accepted_at", UTC, nullable=True),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        *_city("ops_task"),
        _fk("ops_task", "violation_id", "violation.id", "SET NULL"),
        _fk("ops_task", "zone_id", "zone.id", "SET NULL"),
        sa.UniqueConstraint(
            "city_id", "violation_id", name=op.f("uq_ops_task_city_id_violation_id")
        ),
    )
    op.create_table(
        "ops_task_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        *_user("ops_task_assignment", "scout_id"),
        sa.Column("at", UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        *_city("ops_task_assignment"),
        _fk("ops_task_assignment", "task_id", "ops_task.id", "CASCADE"),
    )


def _work_tables() -> None:
    op.create_table(
        "ops_work_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        *_user("ops_work_log", "scout_id"),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("finished_at", UTC, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("suggested", sa.JSON(), nullable=False),
        *_city("ops_work_log"),
        _fk("ops_work_log", "task_id", "ops_task.id", "CASCADE"),
        _fk("ops_work_log", "zone_id", "zone.id", "SET NULL"),
        sa.UniqueConstraint("task_id", name=op.f("uq_ops_work_log_task_id")),
    )
    op.create_table(
        "ops_work_log_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_log_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        *_city("ops_work_log_count"),
        _fk("ops_work_log_count", "work_log_id", "ops_work_log.id", "CASCADE"),
        _fk("ops_work_log_count", "company_id", "company.id", "CASCADE"),
        sa.UniqueConstraint(
            "work_log_id", "company_id", name=op.f("uq_ops_work_log_count_work_log_id_company_id")
        ),
    )
    op.create_table(
        "ops_work_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        *_user("ops_work_photo", "uploaded_by"),
        sa.Column("uploaded_at", UTC, nullable=False),
        *_city("ops_work_photo"),
        _fk("ops_work_photo", "task_id", "ops_task.id", "CASCADE"),
        sa.UniqueConstraint("client_id", name=op.f("uq_ops_work_photo_client_id")),
    )


def _report_tables() -> None:
    op.create_table(
        "ops_damage_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        *_user("ops_damage_report", "reported_by"),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=500), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", UTC, nullable=False),
        *_city("ops_damage_report"),
        _fk("ops_damage_report", "company_id", "company.id", "CASCADE"),
        _fk("ops_damage_report", "photo_id", "ops_work_photo.id", "SET NULL"),
        sa.UniqueConstraint("client_id", name=op.f("uq_ops_damage_report_client_id")),
    )
    op.create_table(
        "ops_sync_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        *_user("ops_sync_action", "user_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        *_city("ops_sync_action"),
        sa.UniqueConstraint("client_id", name=op.f("uq_ops_sync_action_client_id")),
    )


def _index_name(table: str, name: str | None, columns: list[str]) -> str:
    return name or f"ix_{table}_{columns[0]}"


def upgrade() -> None:
    _staff_tables()
    _task_tables()
    _work_tables()
    _report_tables()
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(_index_name(table, name, columns), columns, unique=False)


def downgrade() -> None:
    for table, name, columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(_index_name(table, name, columns))
    for table in reversed(TABLES):
        op.drop_table(table)
