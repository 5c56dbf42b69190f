"""The durable outbox: each message a turn or a task decided, kept until Telegram accepts it.

`OutboxMethods` is mixed into `DurableStore` (storage/durable.py); `sent_statement` is the one
way an entry is marked sent (the repository's `record_delivery` uses it too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from storage.db import Database
from storage.models import OutboxMessage
from storage.timeutil import utcnow

ERROR_TEXT_LIMIT = 255
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


class OutboxMethods:
    """DurableStore's outbox: record a turn's or a task's messages, list, mark them."""

    _db: Database

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

    async def forget_outgoing(self, entry_id: int) -> None:
        """Delete an entry: one that must leave no trace once delivered or given up on."""
        async with self._db.session() as session, session.begin():
            await session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == entry_id))

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
