"""damage cases, handovers to companies, company agreements, webhook endpoints and deliveries

Revision ID: 3a0f1c2d4e05
Revises: 3a0f1c2d4e04
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tartip.db.types  # noqa: F401

revision: str = "3a0f1c2d4e05"
down_revision: str | None = "3a0f1c2d4e04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
