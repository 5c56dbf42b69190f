"""Several staff groups and their paced senders: the group a case is in, the durable lanes of
what is to be sent into each group, and each group's queue summary and sender lease.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        # NULL: announced before there were several groups, i.e. in the first one.
        batch.add_column(sa.Column("staff_chat_id", sa.BigInteger))
        batch.create_index("ix_cases_staff_chat_id_thread_id", ["staff_chat_id", "thread_id"])
    op.create_table(
        "staff_group_sends",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("lane", sa.SmallInteger, nullable=False),
        sa.Column("case_id", sa.Integer),
        sa.Column("op", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("merge_key", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", TIMESTAMP),
        sa.Column("last_error", sa.String(255)),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_staff_group_sends"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="ck_staff_group_sends_status"
        ),
    )
    op.create_index(
        "ix_staff_group_sends_next", "staff_group_sends", ["chat_id", "status", "lane", "id"]
    )
    op.create_index("ix_staff_group_sends_case_id", "staff_group_sends", ["case_id"])
    op.create_table(
        "staff_groups",
        sa.Column("chat_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("queue_message_id", sa.BigInteger),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", TIMESTAMP),
        sa.PrimaryKeyConstraint("chat_id", name="pk_staff_groups"),
    )


def downgrade() -> None:
    op.drop_table("staff_groups")
    op.drop_table("staff_group_sends")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_staff_chat_id_thread_id")
        batch.drop_column("staff_chat_id")
