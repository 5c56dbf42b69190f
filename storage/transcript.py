"""The transcript part of `Repository`: messages stored, found, edited, linked to their copies.

`TranscriptMethods` is mixed into `Repository`, each method one transaction; the functions
below it work inside a transaction already open (the patients' part uses them too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.convert import message_ref
from storage.models import Case, TranscriptMessage
from storage.outbox_store import sent_statement
from storage.refs import MessageRef
from storage.repo_base import RepositoryBase
from storage.rows import OPEN
from storage.timeutil import utcnow

if TYPE_CHECKING:
    from typing_extensions import NotRequired, Unpack


class TranscriptFields(TypedDict):
    """What a transcript row holds besides its patient and case (`relayed_*`: its copy)."""

    direction: Literal["in", "out"]
    author: Literal["patient", "bot", "staff", "note"]
    text: str | None
    chat_id: int
    telegram_message_id: int | None
    media_type: NotRequired[str | None]
    file_id: NotRequired[str | None]
    staff_member_id: NotRequired[int | None]
    relayed_chat_id: NotRequired[int | None]
    relayed_message_id: NotRequired[int | None]


class TranscriptMethods(RepositoryBase):
    """Repository's transcript methods: record, deliver, find, link a relay, edit."""

    async def record_message(self, *, patient_id: int, **fields: Unpack[TranscriptFields]) -> int:
        """Stores one message; `relayed_*` is its copy in the other chat (topic or patient)."""
        async with self._transaction() as session:
            return await add_transcript_row(session, patient_id=patient_id, **fields)

    async def record_delivery(
        self, *, outbox_id: int, telegram_message_id: int, transcript: dict[str, Any] | None
    ) -> None:
        """An outbox message Telegram accepted: marked sent and put in the transcript in one
        transaction, so a crash cannot leave one without the other."""
        async with self._transaction() as session:
            await session.execute(sent_statement(outbox_id, telegram_message_id))
            if transcript is not None:
                await add_transcript_row(session, **transcript)

    async def last_messages(self, patient_id: int, limit: int = 5) -> list[MessageRef]:
        """The patient's latest messages, oldest first."""
        async with self._transaction() as session:
            rows = await session.scalars(
                sa.select(TranscriptMessage)
                .where(TranscriptMessage.patient_id == patient_id)
                .order_by(TranscriptMessage.id.desc())
                .limit(limit)
            )
            return [message_ref(row) for row in reversed(rows.all())]

    async def find_message(self, chat_id: int, telegram_message_id: int) -> MessageRef | None:
        """The transcript entry of a message by its own chat and id."""
        async with self._transaction() as session:
            row = await transcript_row(session, chat_id, telegram_message_id)
            return message_ref(row) if row is not None else None

    async def find_by_relayed(
        self, relayed_message_id: int, relayed_chat_id: int | None = None
    ) -> MessageRef | None:
        """The transcript entry whose copy is that message (e.g. a staff reply's target)."""
        query = sa.select(TranscriptMessage).where(
            TranscriptMessage.relayed_message_id == relayed_message_id
        )
        if relayed_chat_id is not None:
            query = query.where(TranscriptMessage.relayed_chat_id == relayed_chat_id)
        async with self._transaction() as session:
            row = await session.scalar(query.order_by(TranscriptMessage.id.desc()).limit(1))
            return message_ref(row) if row is not None else None

    async def link_relay(
        self,
        chat_id: int,
        telegram_message_id: int,
        relayed_chat_id: int,
        relayed_message_id: int,
    ) -> bool:
        """Records where a stored message was copied to; False if it is not in the transcript."""
        async with self._transaction() as session:
            row = await transcript_row(session, chat_id, telegram_message_id)
            if row is None:
                return False
            row.relayed_chat_id = relayed_chat_id
            row.relayed_message_id = relayed_message_id
            return True

    async def edit_message_text(
        self, chat_id: int, telegram_message_id: int, text: str | None
    ) -> MessageRef | None:
        """Records an edit of a stored message; None when the message is not in the transcript."""
        async with self._transaction() as session:
            row = await transcript_row(session, chat_id, telegram_message_id)
            if row is None:
                return None
            row.text = text
            row.edited_at = utcnow()
            await session.flush()
            return message_ref(row)


async def transcript_row(
    session: AsyncSession, chat_id: int, telegram_message_id: int
) -> TranscriptMessage | None:
    """The newest transcript row of a message by its own chat and id."""
    return await session.scalar(
        sa.select(TranscriptMessage)
        .where(
            TranscriptMessage.chat_id == chat_id,
            TranscriptMessage.telegram_message_id == telegram_message_id,
        )
        .order_by(TranscriptMessage.id.desc())
        .limit(1)
    )


async def add_transcript_row(
    session: AsyncSession, *, patient_id: int, **fields: Unpack[TranscriptFields]
) -> int:
    """One transcript row, attached to the patient's open case if there is one."""
    case_id = await session.scalar(
        sa.select(Case.id)
        .where(Case.patient_id == patient_id, OPEN)
        .order_by(Case.id.desc())
        .limit(1)
    )
    return await insert_transcript_row(session, case_id=case_id, patient_id=patient_id, **fields)


async def insert_transcript_row(
    session: AsyncSession,
    *,
    case_id: int | None,
    patient_id: int,
    **fields: Unpack[TranscriptFields],
) -> int:
    """One transcript row in the case given; its id."""
    row = TranscriptMessage(patient_id=patient_id, case_id=case_id, **fields)
    session.add(row)
    await session.flush()
    return row.id
