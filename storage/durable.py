"""The durable inbox and outbox: nothing a patient sends or is sent is only in memory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage
from storage.timeutil import utcnow

ERROR_TEXT_LIMIT = 255
# "processed": done, by this worker or another; "decided": its replies are recorded but
# maybe not all sent (a crash in between); "new": never handled to the end.
TurnState = Literal["processed", "decided", "new"]
# What a follow-up task adds to its update is numbered after the task's own place in the
# turn, so (update_id, seq) stays unique and a replay delivers it in the same order.
FOLLOW_UP_SEQ_STRIDE = 1000


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    update_id: int | None
    seq: int
    chat_id: int
    payload: dict[str, Any]
    status: str
    attempts: int


def _entry(row: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        update_id=row.update_id,
        seq=row.seq,
        chat_id=row.chat_id,
        payload=json.loads(row.payload),
        status=row.status,
        attempts=row.attempts,
    )


def _rows(
    update_id: int | None, first_seq: int, items: Sequence[tuple[int, dict[str, Any]]]
) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            update_id=update_id,
            seq=first_seq + offset,
            chat_id=chat_id,
            payload=json.dumps(payload, ensure_ascii=False),
            status="pending",
            attempts=0,
        )
        for offset, (chat_id, payload) in enumerate(items)
    ]


def sent_statement(entry_id: int, telegram_message_id: int | None = None) -> sa.Update:
    """The one way an outbox entry is marked sent (by the outbox, a task, the repository)."""
    return (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == entry_id)
        .values(
            status="sent",
            sent_at=utcnow(),
            telegram_message_id=telegram_message_id,
            attempts=OutboxMessage.attempts + 1,
        )
    )


class DurableStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- inbox -------------------------------------------------------------------------

    async def store_update(
        self, update_id: int, chat_id: int | None, payload: dict[str, Any]
    ) -> bool:
        """Keep an update; False when that update_id was stored before (a repeat)."""
        try:
            async with self._db.session() as session, session.begin():
                session.add(
                    InboxUpdate(
                        update_id=update_id,
                        chat_id=chat_id,
                        payload=json.dumps(payload, ensure_ascii=False),
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def unprocessed_updates(self, limit: int = 10_000) -> list[dict[str, Any]]:
        """Stored but not yet handled, oldest first: what a restart must still process."""
        async with self._db.session() as session:
            rows = await session.scalars(
                sa.select(InboxUpdate.payload)
                .where(InboxUpdate.processed_at.is_(None))
                .order_by(InboxUpdate.update_id)
                .limit(limit)
            )
            return [json.loads(payload) for payload in rows]

    async def mark_processed(self, update_id: int) -> None:
        # A Core connection, not an ORM session: this runs once per turn (bench/README.md).
        async with self._db.engine.begin() as connection:
            await connection.execute(
                sa.update(InboxUpdate)
                .where(InboxUpdate.update_id == update_id)
                .values(processed_at=utcnow(), attempts=InboxUpdate.attempts + 1)
            )

    async def is_processed(self, update_id: int) -> bool:
        async with self._db.session() as session:
            processed = await session.scalar(
                sa.select(InboxUpdate.processed_at).where(InboxUpdate.update_id == update_id)
            )
            return processed is not None

    async def turn_state(self, update_id: int) -> TurnState:
        """Where this update's handling got to, in one round trip (checked before every turn)."""
        processed = (
            sa.select(InboxUpdate.processed_at)
            .where(InboxUpdate.update_id == update_id)
            .scalar_subquery()
        )
        decided = sa.exists().where(OutboxMessage.update_id == update_id)
        async with self._db.engine.connect() as connection:
            row = (await connection.execute(sa.select(processed.is_not(None), decided))).one()
        if row[0]:
            return "processed"
        return "decided" if row[1] else "new"

    # -- outbox ------------------------------------------------------------------------

    async def has_outgoing(self, update_id: int) -> bool:
        """Whether this update's replies were already decided (then it must not run again)."""
        async with self._db.session() as session:
            found = await session.scalar(
                sa.select(OutboxMessage.id).where(OutboxMessage.update_id == update_id).limit(1)
            )
            return found is not None

    async def add_outgoing(
        self, update_id: int | None, items: Sequence[tuple[int, dict[str, Any]]]
    ) -> list[OutboxEntry]:
        """Record a turn's messages (chat_id, payload) in one transaction, in order."""
        rows = _rows(update_id, 0, items)
        async with self._db.session() as session, session.begin():
            session.add_all(rows)
            await session.flush()
            return [_entry(row) for row in rows]

    async def complete_task(
        self, task: OutboxEntry, items: Sequence[tuple[int, dict[str, Any]]]
    ) -> list[OutboxEntry]:
        """A follow-up task ran: record what it says and mark it done in one transaction,
        so a crash either runs it again or finds its messages queued, never half of it."""
        first_seq = (task.seq + 1) * FOLLOW_UP_SEQ_STRIDE
        rows = _rows(task.update_id, first_seq, items)
        async with self._db.session() as session, session.begin():
            session.add_all(rows)
            await session.execute(sent_statement(task.id))
            await session.flush()
            return [_entry(row) for row in rows]

    async def pending_outgoing(
        self,
        update_id: int | None = None,
        max_attempts: int | None = None,
        retrying_only: bool = False,
    ) -> list[OutboxEntry]:
        """Unsent messages. `retrying_only`: those a turn already tried, or sent outside one
        (a turn that was never flushed or delivered belongs to its update's replay)."""
        query = sa.select(OutboxMessage).where(OutboxMessage.status == "pending")
        if update_id is not None:
            query = query.where(OutboxMessage.update_id == update_id)
        if retrying_only:
            query = query.where(
                sa.or_(OutboxMessage.attempts > 0, OutboxMessage.update_id.is_(None))
            )
        if max_attempts is not None:
            query = query.where(OutboxMessage.attempts < max_attempts)
        async with self._db.session() as session:
            rows = await session.scalars(query.order_by(OutboxMessage.id))
            return [_entry(row) for row in rows]

    async def mark_sent(self, entry_id: int, telegram_message_id: int | None) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(sent_statement(entry_id, telegram_message_id))

    async def mark_attempt(self, entry_id: int, error: str, failed: bool) -> None:
        """One more failed attempt; `failed` gives up on it for good."""
        values: dict[str, Any] = {
            "attempts": OutboxMessage.attempts + 1,
            "last_error": error[:ERROR_TEXT_LIMIT],
        }
        if failed:
            values["status"] = "failed"
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == entry_id).values(**values)
            )

    async def erase_chat(self, chat_id: int) -> int:
        """Remove a patient's queued updates and messages (their content is personal data)."""
        async with self._db.session() as session, session.begin():
            inbox = await session.execute(
                sa.delete(InboxUpdate).where(InboxUpdate.chat_id == chat_id)
            )
            outbox = await session.execute(
                sa.delete(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
            )
            return int(inbox.rowcount or 0) + int(outbox.rowcount or 0)
