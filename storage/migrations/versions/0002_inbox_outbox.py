"""Durable inbox (updates stored before they are acknowledged) and outbox (replies stored
before they are sent).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_inbox_updates"),
    )
    op.create_index("ix_inbox_updates_chat_id", "inbox_updates", ["chat_id"])
    op.create_index("ix_inbox_updates_unprocessed", "inbox_updates", ["processed_at", "update_id"])
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("update_id", sa.BigInteger),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger),
        sa.Column("last_error", sa.String(255)),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint("update_id", "seq", name="uq_outbox_messages_update_id_seq"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="ck_outbox_messages_status"
        ),
    )
    op.create_index("ix_outbox_messages_chat_id", "outbox_messages", ["chat_id"])
    op.create_index("ix_outbox_messages_pending", "outbox_messages", ["status", "id"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("inbox_updates")
