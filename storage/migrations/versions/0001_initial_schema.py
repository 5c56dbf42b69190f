"""Initial schema: patients, staff, cases, transcript, append-only consent, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Frozen on purpose: it uses plain SQLAlchemy types, not the application's models, so it
stays what it was when later revisions change the models. No table is named `events`
(Rasa's tracker store table, which may share the database).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
APPEND_ONLY_MESSAGE = "consent_records is append-only: record a new decision instead"

POSTGRESQL_TRIGGERS = (
    f"""
    CREATE FUNCTION consent_records_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- No format placeholder: offline (--sql) rendering would mangle it.
        RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_OP || ' rejected)';
    END
    $$
    """,
    """
    CREATE TRIGGER consent_records_no_change
    BEFORE UPDATE OR DELETE ON consent_records
    FOR EACH ROW EXECUTE FUNCTION consent_records_append_only()
    """,
    """
    CREATE TRIGGER consent_records_no_truncate
    BEFORE TRUNCATE ON consent_records
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_append_only()
    """,
)
SQLITE_TRIGGERS = tuple(
    f"""
    CREATE TRIGGER consent_records_no_{operation.lower()}
    BEFORE {operation} ON consent_records
    BEGIN
        SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
    END
    """
    for operation in ("UPDATE", "DELETE")
)


def _one_of(column: str, table: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("pseudonym", name="uq_patients_pseudonym"),
        sa.UniqueConstraint("telegram_user_id", name="uq_patients_telegram_user_id"),
    )
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_members"),
        sa.UniqueConstraint("telegram_user_id", name="uq_staff_members_telegram_user_id"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("patient_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=True),
        sa.Column("closed_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("queued_at", TIMESTAMP, nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("last_renotified_at", TIMESTAMP, nullable=True),
        _one_of("status", "cases", ("bot", "queued", "with_staff", "closed")),
        _one_of("urgency", "cases", ("normal", "urgent")),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_cases_rating"),
        sa.ForeignKeyConstraint(
            ["closed_by_staff_id"],
            ["staff_members.id"],
            name="fk_cases_closed_by_staff_id_staff_members",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_cases_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name="fk_cases_staff_member_id_staff_members",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_patient_id", "cases", ["patient_id"])
    op.create_index("ix_cases_patient_pseudonym", "cases", ["patient_pseudonym"])
    op.create_index("ix_cases_status_queued_at", "cases", ["status", "queued_at"])
    op.create_index("ix_cases_thread_id", "cases", ["thread_id"])
    open_case = sa.text("status != 'closed'")
    op.create_index(
        "uq_cases_open_patient",
        "cases",
        ["patient_id"],
        unique=True,
        sqlite_where=open_case,
        postgresql_where=open_case,
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("clause_id", sa.String(length=64), nullable=False),
        sa.Column("clause_version", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.Column("answered_message_id", sa.BigInteger(), nullable=True),
        _one_of("decision", "consent_records", ("agreed", "refused", "withdrawn")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_consent_records_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
    )
    op.create_index(
        "ix_consent_records_patient_pseudonym", "consent_records", ["patient_pseudonym"]
    )
    op.create_table(
        "transcript_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("media_type", sa.String(length=32), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("staff_member_id", sa.Integer(), nullable=True),
        sa.Column("relayed_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("relayed_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("edited_at", TIMESTAMP, nullable=True),
        _one_of("author", "transcript_messages", ("patient", "bot", "staff")),
        _one_of("direction", "transcript_messages", ("in", "out")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_transcript_messages_case_id_cases"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_transcript_messages_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name="fk_transcript_messages_staff_member_id_staff_members",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transcript_messages"),
    )
    op.create_index("ix_transcript_messages_case_id", "transcript_messages", ["case_id"])
    op.create_index("ix_transcript_messages_patient_id", "transcript_messages", ["patient_id"])
    op.create_index(
        "ix_transcript_messages_chat_message",
        "transcript_messages",
        ["chat_id", "telegram_message_id"],
    )
    op.create_index(
        "ix_transcript_messages_relayed",
        "transcript_messages",
        ["relayed_chat_id", "relayed_message_id"],
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])

    dialect = op.get_context().dialect.name
    triggers = POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its indexes and triggers; the function goes after.
    for table in ("audit_log", "transcript_messages", "consent_records", "cases"):
        op.drop_table(table)
    op.drop_table("staff_members")
    op.drop_table("patients")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION consent_records_append_only()")
