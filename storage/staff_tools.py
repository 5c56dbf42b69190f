"""The staff tools' rows: canned replies staff saved, private notes, a patient leaving a
handoff, and a case's transcript for a recovered topic.

Every staff action here is audited in the same transaction that makes it; the audit
details never hold the text itself (names and message text stay out of the log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.convert import case_ref
from storage.db import Database
from storage.models import AuditEvent, CannedReply, Case, StaffMember, TranscriptMessage
from storage.refs import CaseRef
from storage.timeutil import utcnow

# What a patient may leave: waiting for a person, or talking with one.
LEAVABLE = ("queued", "with_staff")


@dataclass(frozen=True)
class SavedReply:
    name: str
    text: str
    staff_member_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class TranscriptLine:
    """One transcript row as a recovered topic shows it."""

    author: str
    text: str | None
    media_type: str | None
    staff_name: str | None
    created_at: datetime


class StaffToolsStore:
    """Reads and writes `canned_replies`, note rows of `transcript_messages`, and the case
    state a patient's /bot changes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- canned replies ----------------------------------------------------------------

    async def saved_replies(self) -> list[SavedReply]:
        async with self._db.session() as session:
            rows = await session.scalars(sa.select(CannedReply).order_by(CannedReply.name))
            return [_saved(row) for row in rows]

    async def saved_reply(self, name: str) -> SavedReply | None:
        async with self._db.session() as session:
            row = await session.scalar(sa.select(CannedReply).where(CannedReply.name == name))
            return _saved(row) if row is not None else None

    async def save_reply(self, name: str, text: str, staff_member_id: int) -> bool:
        """Keep (or replace) a saved reply, audited; True when it is new."""
        now = utcnow()
        async with self._db.session() as session, session.begin():
            row = await session.scalar(
                sa.select(CannedReply).where(CannedReply.name == name).with_for_update()
            )
            created = row is None
            if row is None:
                session.add(
                    CannedReply(
                        name=name,
                        text=text,
                        staff_member_id=staff_member_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.text = text
                row.staff_member_id = staff_member_id
                row.updated_at = now
            session.add(
                AuditEvent(
                    actor_type="staff",
                    actor_id=str(staff_member_id),
                    action="canned.save" if created else "canned.replace",
                    target=f"canned:{name}",
                    details={"length": len(text)},
                )
            )
        return created

    # -- notes -------------------------------------------------------------------------

    async def add_note(
        self,
        case: CaseRef,
        staff_member_id: int,
        text: str | None,
        chat_id: int,
        telegram_message_id: int,
        media_type: str | None = None,
        file_id: str | None = None,
    ) -> int:
        """A private note with the case (author "note"), audited; its id."""
        if case.patient_id is None:
            raise ValueError(f"case {case.id} has no patient left to note about")
        async with self._db.session() as session, session.begin():
            row = TranscriptMessage(
                patient_id=case.patient_id,
                case_id=case.id,
                # Written into the bot's staff group, never sent anywhere: an incoming message.
                direction="in",
                author="note",
                text=text,
                chat_id=chat_id,
                telegram_message_id=telegram_message_id,
                media_type=media_type,
                file_id=file_id,
                staff_member_id=staff_member_id,
            )
            session.add(row)
            session.add(
                AuditEvent(
                    actor_type="staff",
                    actor_id=str(staff_member_id),
                    action="case.note",
                    target=f"case:{case.id}",
                )
            )
            await session.flush()
            return int(row.id)

    # -- the patient leaves a handoff ----------------------------------------------------

    async def return_to_bot(self, case_id: int, patient_pseudonym: str) -> CaseRef | None:
        """Queued or held → with the bot again (the holder let go), audited as the patient's
        act; None when the case was in neither state (nothing to leave)."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                sa.update(Case)
                .where(Case.id == case_id, Case.status.in_(LEAVABLE))
                .values(status="bot", staff_member_id=None)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return None
            session.add(
                AuditEvent(
                    actor_type="patient",
                    actor_id=patient_pseudonym,
                    action="case.patient_left",
                    target=f"case:{case_id}",
                )
            )
            row = await session.get(Case, case_id, populate_existing=True)
            return case_ref(row) if row is not None else None

    # -- a recovered topic -------------------------------------------------------------

    async def case_transcript(self, case_id: int, limit: int) -> tuple[int, list[TranscriptLine]]:
        """How many rows the case's transcript has, and its newest `limit`, oldest first."""
        count_query = sa.select(sa.func.count(TranscriptMessage.id)).where(
            TranscriptMessage.case_id == case_id
        )
        query = (
            sa.select(
                TranscriptMessage.author,
                TranscriptMessage.text,
                TranscriptMessage.media_type,
                StaffMember.display_name,
                TranscriptMessage.created_at,
            )
            .outerjoin(StaffMember, StaffMember.id == TranscriptMessage.staff_member_id)
            .where(TranscriptMessage.case_id == case_id)
            .order_by(TranscriptMessage.id.desc())
            .limit(limit)
        )
        async with self._db.session() as session:
            total = int(await session.scalar(count_query) or 0)
            rows = (await session.execute(query)).all()
        return total, [TranscriptLine(*row) for row in reversed(rows)]

    async def make_urgent(self, case_id: int) -> None:
        """A red flag in the case: it is urgent from now on."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(Case).where(Case.id == case_id).values(urgency="urgent")
            )

    async def move_topic(self, case_id: int, thread_id: int) -> None:
        """The case's new topic; its card is posted there afresh."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(Case)
                .where(Case.id == case_id)
                .values(thread_id=thread_id, card_message_id=None)
            )


def _saved(row: CannedReply) -> SavedReply:
    return SavedReply(row.name, row.text, row.staff_member_id, row.updated_at)
