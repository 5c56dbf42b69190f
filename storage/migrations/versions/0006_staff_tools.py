"""Staff tools: canned replies staff save in the group, and private notes in the transcript.

`canned_replies` holds the replies staff save with /save (the ones shipped with the service
are content/canned.yml). A note (/note in a case topic) is a transcript row with author
`note`, so the author check is widened.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
AUTHOR_CHECK = "ck_transcript_messages_author"


def _authors(values: tuple[str, ...]) -> str:
    return "author IN ({})".format(", ".join(f"'{value}'" for value in values))


def _set_authors(values: tuple[str, ...]) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new check.
    with op.batch_alter_table("transcript_messages", recreate="auto") as batch:
        batch.drop_constraint(AUTHOR_CHECK, type_="check")
        batch.create_check_constraint(AUTHOR_CHECK, _authors(values))


def upgrade() -> None:
    _set_authors(("patient", "bot", "staff", "note"))
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("staff_member_id", sa.Integer),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name="fk_canned_replies_staff_member_id_staff_members",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
        sa.UniqueConstraint("name", name="uq_canned_replies_name"),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    # Notes cannot stay under the narrower check: they go with the revision that allowed them.
    op.execute("DELETE FROM transcript_messages WHERE author = 'note'")
    _set_authors(("patient", "bot", "staff"))
