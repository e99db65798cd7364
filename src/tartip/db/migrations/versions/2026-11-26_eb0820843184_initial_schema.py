"""initial schema: cities, people, audit, feeds, fleet

Revision ID: eb0820843184
Revises:
Create Date: 2026-11-26 11:40:59.850714
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tartip.db.types

revision: str = "eb0820843184"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "city",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("default_locale", sa.String(length=8), nullable=False),
        sa.Column("boundary", tartip.db.types.Geometry("MultiPolygon"), nullable=True),
        sa.Column("center_lon", sa.Double(), nullable=False),
        sa.Column("center_lat", sa.Double(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city")),
        sa.UniqueConstraint("slug", name=op.f("uq_city_slug")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_audit_entry_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entry_actor_user_id"), ["actor_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_city_id"), ["city_id"], unique=False)

    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        sa.Column("mds_provider_id", sa.String(length=36), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_company_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
        sa.UniqueConstraint("city_id", "slug", name=op.f("uq_company_city_id_slug")),
    )
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_city_id"), ["city_id"], unique=False)

    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=True),
        sa.Column("feed_urls", sa.JSON(), nullable=False),
        sa.Column("file_state", sa.JSON(), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("data_updated_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("vehicle_count", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_feed_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_feed_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed")),
    )
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feed_company_id"), ["company_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_user_account_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_user_account_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_user_account_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last_used_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_api_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "company_geofence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("geometry", tartip.db.types.Geometry("MultiPolygon"), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("fetched_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_company_geofence_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_geofence_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed.id"],
            name=op.f("fk_company_geofence_feed_id_feed"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_geofence")),
    )
    with op.batch_alter_table("company_geofence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_geofence_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_company_geofence_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_company_geofence_feed_id"), ["feed_id"], unique=False)

    op.create_table(
        "feed_pull",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("started_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.Column("records_rejected", sa.Integer(), nullable=False),
        sa.Column("schema_problems", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_feed_pull_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_feed_pull_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_pull")),
    )
    with op.batch_alter_table("feed_pull", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_pull_city_id"), ["city_id"], unique=False)
        batch_op.create_index("ix_feed_pull_feed_started", ["feed_id", "started_at"], unique=False)

    op.create_table(
        "station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("num_vehicles_available", sa.Integer(), nullable=True),
        sa.Column("num_docks_available", sa.Integer(), nullable=True),
        sa.Column("last_reported", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_station_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_station_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_station_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("feed_id", "station_id", name=op.f("uq_station_feed_id_station_id")),
    )
    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_station_company_id"), ["company_id"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=False),
        sa.Column("vehicle_type_id", sa.String(length=255), nullable=True),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_range_meters", sa.Double(), nullable=True),
        sa.Column("current_fuel_percent", sa.Double(), nullable=True),
        sa.Column("station_id", sa.String(length=255), nullable=True),
        sa.Column("last_reported", tartip.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_feed", sa.Boolean(), nullable=False),
        sa.Column("is_stale", sa.Boolean(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_vehicle_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_vehicle_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_vehicle_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("feed_id", "vehicle_id", name=op.f("uq_vehicle_feed_id_vehicle_id")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_city_id"), ["city_id"], unique=False)
        batch_op.create_index("ix_vehicle_city_in_feed", ["city_id", "in_feed"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_company_id"), ["company_id"], unique=False)

    op.create_table(
        "vehicle_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", tartip.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=True),
        sa.Column("moved_m", sa.Double(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_vehicle_change_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_vehicle_change_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed.id"],
            name=op.f("fk_vehicle_change_feed_id_feed"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_change")),
    )
    with op.batch_alter_table("vehicle_change", schema=None) as batch_op:
        batch_op.create_index("ix_vehicle_change_city_at", ["city_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_change_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_change_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            "ix_vehicle_change_feed_vehicle", ["feed_id", "vehicle_id"], unique=False
        )

    op.create_table(
        "vehicle_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_type_id", sa.String(length=255), nullable=False),
        sa.Column("form_factor", sa.String(length=32), nullable=False),
        sa.Column("propulsion_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("max_range_meters", sa.Double(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_vehicle_type_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_vehicle_type_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_vehicle_type_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_type")),
        sa.UniqueConstraint(
            "feed_id", "vehicle_type_id", name=op.f("uq_vehicle_type_feed_id_vehicle_type_id")
        ),
    )
    with op.batch_alter_table("vehicle_type", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_type_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_type_company_id"), ["company_id"], unique=False
        )

    if postgres:
        op.execute("CREATE INDEX ix_city_boundary_gist ON city USING gist (boundary)")
        op.execute(
            "CREATE INDEX ix_company_geofence_geometry_gist"
            " ON company_geofence USING gist (geometry)"
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicle_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_type_company_id"))
        batch_op.drop_index(batch_op.f("ix_vehicle_type_city_id"))

    op.drop_table("vehicle_type")
    with op.batch_alter_table("vehicle_change", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_change_feed_vehicle")
        batch_op.drop_index(batch_op.f("ix_vehicle_change_company_id"))
        batch_op.drop_index(batch_op.f("ix_vehicle_change_city_id"))
        batch_op.drop_index("ix_vehicle_change_city_at")

    op.drop_table("vehicle_change")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_company_id"))
        batch_op.drop_index("ix_vehicle_city_in_feed")
        batch_op.drop_index(batch_op.f("ix_vehicle_city_id"))

    op.drop_table("vehicle")
    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_company_id"))
        batch_op.drop_index(batch_op.f("ix_station_city_id"))

    op.drop_table("station")
    with op.batch_alter_table("feed_pull", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_pull_feed_started")
        batch_op.drop_index(batch_op.f("ix_feed_pull_city_id"))

    op.drop_table("feed_pull")
    with op.batch_alter_table("company_geofence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_geofence_feed_id"))
        batch_op.drop_index(batch_op.f("ix_company_geofence_company_id"))
        batch_op.drop_index(batch_op.f("ix_company_geofence_city_id"))

    op.drop_table("company_geofence")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_company_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_city_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_company_id"))
        batch_op.drop_index(batch_op.f("ix_feed_city_id"))

    op.drop_table("feed")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_city_id"))

    op.drop_table("company")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_city_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))

    op.drop_table("audit_entry")
    op.drop_table("city")
