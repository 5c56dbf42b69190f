"""Inbox claims: which worker holds a stored update, and until when its lease runs.

A worker renews the lease of the updates it stored and has not processed; once a lease has
run out (the worker was killed), another worker claims the update and runs it
(`bot/failover.py`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates") as batch:
        # NULL: stored before claims existed, or by no live worker: free to claim.
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("claimed_until", TIMESTAMP))


def downgrade() -> None:
    with op.batch_alter_table("inbox_updates") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
