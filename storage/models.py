"""The tables. None is named like Rasa's tracker table (`events`), which may share the database.

Telegram ids are BigInteger: user ids and supergroup chat ids exceed 32 bits.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

from storage.append_only import guard_append_only
from storage.timeutil import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))

CASE_STATUSES = ("bot", "queued", "with_staff", "closed")
URGENCIES = ("normal", "urgent")
DIRECTIONS = ("in", "out")
# "note": a staff member's private note on a case (/note), never sent to the patient.
AUTHORS = ("patient", "bot", "staff", "note")
DECISIONS = ("agreed", "refused", "withdrawn")


def _one_of(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=column)


class Patient(Base):
    __tablename__ = "patients"

    id = sa.Column(sa.Integer, primary_key=True)
    telegram_user_id = sa.Column(sa.BigInteger, nullable=False, unique=True)
    chat_id = sa.Column(sa.BigInteger, nullable=False)
    pseudonym = sa.Column(sa.String(64), nullable=False, unique=True)
    display_name = sa.Column(sa.String(255), nullable=False)
    language_code = sa.Column(sa.String(16))
    # The language the patient is answered in ("en", "hi"); NULL until their words or
    # Telegram's hint decide it. Chosen by a button or /language, it is kept as chosen.
    language = sa.Column(sa.String(8))
    language_chosen_at = sa.Column(UTCDateTime)
    # When they were offered हिन्दी / English (once, for Hinglish in Latin letters).
    language_offered_at = sa.Column(UTCDateTime)
    blocked = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class StaffMember(Base):
    __tablename__ = "staff_members"

    id = sa.Column(sa.Integer, primary_key=True)
    telegram_user_id = sa.Column(sa.BigInteger, nullable=False, unique=True)
    display_name = sa.Column(sa.String(255), nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        _one_of("status", CASE_STATUSES),
        _one_of("urgency", URGENCIES),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        sa.Index("ix_cases_status_queued_at", "status", "queued_at"),
        # Thread ids are per chat: a topic is found by its group and its thread.
        sa.Index("ix_cases_staff_chat_id_thread_id", "staff_chat_id", "thread_id"),
        # At most one open case per patient, even when two handoffs race.
        sa.Index(
            "uq_cases_open_patient",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    # NULL once the patient is erased; the pseudonym keeps the skeleton tied to consent.
    patient_id = sa.Column(sa.Integer, sa.ForeignKey("patients.id"), index=True)
    patient_pseudonym = sa.Column(sa.String(64), nullable=False, index=True)
    status = sa.Column(sa.String(16), nullable=False, default="bot")
    urgency = sa.Column(sa.String(16), nullable=False, default="normal")
    reason = sa.Column(sa.String(64))
    summary = sa.Column(sa.JSON, nullable=False, default=dict)
    staff_member_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id"))
    closed_by_staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id"))
    thread_id = sa.Column(sa.BigInteger, index=True)
    card_message_id = sa.Column(sa.BigInteger)
    rating = sa.Column(sa.Integer)
    # The console's case list orders and filters by it; the reports group by its day.
    opened_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    queued_at = sa.Column(UTCDateTime)
    claimed_at = sa.Column(UTCDateTime)
    closed_at = sa.Column(UTCDateTime)
    last_renotified_at = sa.Column(UTCDateTime)
    # The staff group the case was announced in (NULL: the first one, before there were more).
    staff_chat_id = sa.Column(sa.BigInteger)


class TranscriptMessage(Base):
    """Every message in both directions; `relayed_*` is its copy in the other chat."""

    __tablename__ = "transcript_messages"
    __table_args__ = (
        _one_of("direction", DIRECTIONS),
        _one_of("author", AUTHORS),
        sa.Index("ix_transcript_messages_chat_message", "chat_id", "telegram_message_id"),
        sa.Index("ix_transcript_messages_relayed", "relayed_chat_id", "relayed_message_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    patient_id = sa.Column(sa.Integer, sa.ForeignKey("patients.id"), nullable=False, index=True)
    case_id = sa.Column(sa.Integer, sa.ForeignKey("cases.id"), index=True)
    direction = sa.Column(sa.String(3), nullable=False)
    author = sa.Column(sa.String(16), nullable=False)
    text = sa.Column(sa.Text)
    chat_id = sa.Column(sa.BigInteger, nullable=False)
    telegram_message_id = sa.Column(sa.BigInteger)
    media_type = sa.Column(sa.String(32))
    file_id = sa.Column(sa.String(255))
    staff_member_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id"))
    relayed_chat_id = sa.Column(sa.BigInteger)
    relayed_message_id = sa.Column(sa.BigInteger)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    edited_at = sa.Column(UTCDateTime)


class CannedReply(Base):
    """A reply staff saved with /save; the shipped ones are content/canned.yml."""

    __tablename__ = "canned_replies"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(32), nullable=False, unique=True)
    text = sa.Column(sa.Text, nullable=False)
    staff_member_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class ConsentRecord(Base):
    """Append-only (see storage.append_only and the migration's triggers).

    Keyed by the patient's pseudonym, not a foreign key, so it outlives erasure.
    """

    __tablename__ = "consent_records"
    __table_args__ = (_one_of("decision", DECISIONS),)

    id = sa.Column(sa.Integer, primary_key=True)
    patient_pseudonym = sa.Column(sa.String(64), nullable=False, index=True)
    case_id = sa.Column(sa.Integer, sa.ForeignKey("cases.id"))
    clause_id = sa.Column(sa.String(64), nullable=False)
    clause_version = sa.Column(sa.Integer, nullable=False)
    text_sha256 = sa.Column(sa.String(64), nullable=False)
    # The language of the text shown; its version and hash are that language's.
    language = sa.Column(sa.String(8), nullable=False, default="en", server_default="en")
    decision = sa.Column(sa.String(16), nullable=False)
    decided_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    answered_message_id = sa.Column(sa.BigInteger)


# Here, with the class: no code path can load the model without its guard.
guard_append_only(ConsentRecord)


class AuditEvent(Base):
    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_type = sa.Column(sa.String(32), nullable=False)
    actor_id = sa.Column(sa.String(128), nullable=False)
    action = sa.Column(sa.String(64), nullable=False)
    target = sa.Column(sa.String(128), index=True)
    details = sa.Column(sa.JSON)


OUTBOX_STATUSES = ("pending", "sent", "failed")


class InboxUpdate(Base):
    """Every Telegram update, stored before it is acknowledged; processed_at marks it done."""

    __tablename__ = "inbox_updates"
    __table_args__ = (sa.Index("ix_inbox_updates_unprocessed", "processed_at", "update_id"),)

    update_id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    chat_id = sa.Column(sa.BigInteger, index=True)
    payload = sa.Column(sa.Text, nullable=False)
    received_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    processed_at = sa.Column(UTCDateTime)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    # The worker that holds it until it is processed, and until when (bot/failover.py).
    claimed_by = sa.Column(sa.String(64))
    claimed_until = sa.Column(UTCDateTime)


class OutboxMessage(Base):
    """A message to a patient, recorded before it is sent and retried until it is."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        sa.UniqueConstraint("update_id", "seq"),
        sa.Index("ix_outbox_messages_pending", "status", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    update_id = sa.Column(sa.BigInteger)
    seq = sa.Column(sa.Integer, nullable=False, default=0)
    chat_id = sa.Column(sa.BigInteger, nullable=False, index=True)
    payload = sa.Column(sa.Text, nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="pending")
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    telegram_message_id = sa.Column(sa.BigInteger)
    last_error = sa.Column(sa.String(255))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime)


LANES = (0, 1, 2)


class StaffGroupSend(Base):
    """Something to send into a staff group, recorded first, sent by the group's paced sender.

    `lane` orders them: 0 a live conversation and the staff's acknowledgements, 1 an urgent
    announcement, 2 announcements, reminders and the queue summary. `merge_key` names what a
    newer entry replaces while still pending (the queue summary, a card's refresh).
    """

    __tablename__ = "staff_group_sends"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        sa.Index("ix_staff_group_sends_next", "chat_id", "status", "lane", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    chat_id = sa.Column(sa.BigInteger, nullable=False)
    lane = sa.Column(sa.SmallInteger, nullable=False)
    case_id = sa.Column(sa.Integer, index=True)
    op = sa.Column(sa.String(32), nullable=False)
    payload = sa.Column(sa.Text, nullable=False)
    merge_key = sa.Column(sa.String(64))
    status = sa.Column(sa.String(16), nullable=False, default="pending")
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    not_before = sa.Column(UTCDateTime)
    last_error = sa.Column(sa.String(255))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime)


class StaffGroup(Base):
    """Per staff group: its queue summary message (edited in place) and its sender's lease."""

    __tablename__ = "staff_groups"

    chat_id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    queue_message_id = sa.Column(sa.BigInteger)
    # One worker at a time sends into a group, so the group's budget is spent once.
    lease_owner = sa.Column(sa.String(64))
    lease_until = sa.Column(UTCDateTime)


class ConsoleSignInLink(Base):
    """A one-time console link sent to a staff member; only the hash of its secret is kept."""

    __tablename__ = "console_sign_in_links"

    id = sa.Column(sa.Integer, primary_key=True)
    token_sha256 = sa.Column(sa.String(64), nullable=False, unique=True)
    telegram_user_id = sa.Column(sa.BigInteger, nullable=False)
    display_name = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
    used_at = sa.Column(UTCDateTime)


class ConsoleSession(Base):
    """A signed-in console browser; the cookie's secret is kept only as its hash."""

    __tablename__ = "console_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    token_sha256 = sa.Column(sa.String(64), nullable=False, unique=True)
    staff_member_id = sa.Column(
        sa.Integer, sa.ForeignKey("staff_members.id"), nullable=False, index=True
    )
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
    revoked_at = sa.Column(UTCDateTime)
