"""Vision Zero: incidents; sustainability assumptions

Revision ID: 3a0f1c2d4e09
Revises: 3a0f1c2d4e08
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import tartip.db.types  # noqa: F401

revision: str = "3a0f1c2d4e09"
down_revision: str | None = "3a0f1c2d4e08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
