"""The patient's language, and the language of each consent text shown.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Patients get a language and when it was chosen or offered; consent records the
    language of the clause text shown (every earlier record was shown in English)."""
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("language_chosen_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("language_offered_at", TIMESTAMP, nullable=True))
    # A plain ADD COLUMN: consent_records is append-only (triggers), never rebuilt.
    op.add_column(
        "consent_records",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="en"),
    )


def downgrade() -> None:
    """Drop the columns."""
    op.drop_column("consent_records", "language")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("language_offered_at")
        batch.drop_column("language_chosen_at")
        batch.drop_column("language")
