"""The web console's sign-in: one-time links and sessions, each kept only as a hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sign_in_links",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_console_sign_in_links"),
        sa.UniqueConstraint("token_sha256", name="uq_console_sign_in_links_token_sha256"),
    )
    op.create_index("ix_console_sign_in_links_expires_at", "console_sign_in_links", ["expires_at"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("staff_member_id", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.UniqueConstraint("token_sha256", name="uq_console_sessions_token_sha256"),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name="fk_console_sessions_staff_member_id_staff_members",
        ),
    )
    op.create_index("ix_console_sessions_staff_member_id", "console_sessions", ["staff_member_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("console_sign_in_links")
