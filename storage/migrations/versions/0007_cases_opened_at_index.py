"""An index on cases.opened_at.

The console's case list orders and filters by it; the reports group by its day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEX = "ix_cases_opened_at"


def upgrade() -> None:
    """Index the time a case was opened."""
    op.create_index(INDEX, "cases", ["opened_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(INDEX, table_name="cases")
