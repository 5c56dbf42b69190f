"""The durable inbox and outbox: nothing a patient sends or is sent is only in memory."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import CLAIM_LEASE
from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage
from storage.timeutil import utcnow

log = logging.getLogger(__name__)

ERROR_TEXT_LIMIT = 255
# "processed": done, by this worker or another; "decided": its replies are recorded but
# maybe not all sent (a crash in between); "new": never handled to the end.
TurnState = Literal["processed", "decided", "new"]
# What a follow-up task adds to its update is numbered after the task's own place in the
# turn, so (update_id, seq) stays unique and a replay delivers it in the same order.
FOLLOW_UP_SEQ_STRIDE = 1000
# Telegram keeps an undelivered update 24 hours at most, so a repeat comes within a day of
# the first delivery; after a week without updates it picks the next update_id at random, so
# an older row with the same id is another update. The hour covers clocks that differ
# between workers; anything from 24 hours to 7 days would be correct.
REPEAT_WINDOW = timedelta(hours=25)
# Rows pruned per transaction: SQLite's one writer lock is not held for long.
PRUNE_BATCH = 1000
# Attempts at moving an old row aside when another worker takes the same free key.
ARCHIVE_ATTEMPTS = 3


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
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self._db = db
        # When updates arrive and are processed: the repeat window and pruning count from it.
        self._clock = clock
        # The worker each stored update belongs to until processed (storage/claims.py).
        self._owner = owner
        self._lease = lease

    # -- inbox -------------------------------------------------------------------------

    async def store_update(
        self, update_id: int, chat_id: int | None, payload: dict[str, Any]
    ) -> bool:
        """Keep an update; False when it is a repeat (its update_id stored within the window).

        A row with that update_id stored longer ago is another update (Telegram restarted
        its numbering): the old turn is moved aside (`_archive`) and this one is kept.
        """
        row: dict[str, Any] = {
            "update_id": update_id,
            "chat_id": chat_id,
            "payload": json.dumps(payload, ensure_ascii=False),
            "received_at": self._clock(),
            "attempts": 0,
        }
        if self._owner is not None:
            row.update(claimed_by=self._owner, claimed_until=row["received_at"] + self._lease)
        try:
            async with self._db.session() as session, session.begin():
                session.add(InboxUpdate(**row))
        except IntegrityError:
            pass
        else:
            return True
        for attempt in range(ARCHIVE_ATTEMPTS):
            try:
                return await self._store_over_old(row)
            except IntegrityError:
                # Another worker took the same archive key, or stored it just now. Never
                # "a repeat" by default: raising leaves the update with Telegram, to resend.
                if attempt == ARCHIVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _store_over_old(self, row: dict[str, Any]) -> bool:
        """The slow path: the update_id is taken. A repeat, or an old row to move aside."""
        update_id = row["update_id"]
        async with self._db.session() as session, session.begin():
            received = await session.scalar(
                sa.select(InboxUpdate.received_at).where(InboxUpdate.update_id == update_id)
            )
            if received is not None:
                if received > row["received_at"] - REPEAT_WINDOW:
                    return False
                if not await self._archive(session, update_id, received):
                    return False  # someone else moved it and stored this update first
            session.add(InboxUpdate(**row))
        return True

    async def _archive(self, session: AsyncSession, update_id: int, received: datetime) -> bool:
        """Move an old update and its turn's outbox rows to a key Telegram never uses.

        Telegram's update_ids are positive, so the archive keys are negative and unique. The
        old turn keeps its state: processed, it is pruned in time; unprocessed, the next
        replay still runs it (under the new key). Only the row seen as old is moved, so two
        workers storing the same new update move it once.
        """
        lowest = await session.scalar(sa.select(sa.func.min(InboxUpdate.update_id)))
        key = min(int(lowest or 0), 0) - 1
        moved = await session.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id, InboxUpdate.received_at == received)
            .values(update_id=key)
        )
        if not moved.rowcount:
            return False
        await session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.update_id == update_id)
            .values(update_id=key)
        )
        log.info(
            "update_id reused after the repeat window: the old update moved aside",
            extra={"update_id": update_id, "archived_as": key},
        )
        return True

    async def unprocessed_updates(self, limit: int = 10_000) -> list[dict[str, Any]]:
        """Stored but not yet handled, oldest first: what a restart must still process.

        Each carries its row's key as its update_id (an archived update runs under its new
        key, so its turn is found there).
        """
        async with self._db.session() as session:
            rows = await session.execute(
                sa.select(InboxUpdate.update_id, InboxUpdate.payload)
                .where(InboxUpdate.processed_at.is_(None))
                .order_by(InboxUpdate.update_id)
                .limit(limit)
            )
            return [{**json.loads(payload), "update_id": key} for key, payload in rows]

    async def prune_processed(self, retention: timedelta) -> int:
        """Delete updates processed longer than `retention` ago; never an unprocessed one.

        Their outbox rows stay (sent history, or a retry still pending) but lose the link,
        so a later update with the same update_id does not look already answered.
        """
        cutoff = self._clock() - retention
        total = 0
        while True:
            batch = (
                sa.select(InboxUpdate.update_id)
                .where(InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < cutoff)
                .limit(PRUNE_BATCH)
            )
            async with self._db.session() as session, session.begin():
                keys = list(await session.scalars(batch))
                if not keys:
                    return total
                await session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.update_id.in_(keys))
                    .values(update_id=None)
                )
                await session.execute(
                    sa.delete(InboxUpdate).where(
                        InboxUpdate.update_id.in_(keys), InboxUpdate.processed_at.is_not(None)
                    )
                )
            total += len(keys)

    async def mark_processed(self, update_id: int) -> None:
        # A Core connection, not an ORM session: this runs once per turn (bench/README.md).
        async with self._db.engine.begin() as connection:
            await connection.execute(
                sa.update(InboxUpdate)
                .where(InboxUpdate.update_id == update_id)
                .values(processed_at=self._clock(), attempts=InboxUpdate.attempts + 1)
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
            # Messages of theirs to others (the staff group) stay, unlinked: a later update
            # with the same update_id must not look already answered.
            await session.execute(
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.update_id.in_(
                        sa.select(InboxUpdate.update_id).where(InboxUpdate.chat_id == chat_id)
                    ),
                    OutboxMessage.chat_id != chat_id,
                )
                .values(update_id=None)
                .execution_options(synchronize_session=False)
            )
            inbox = await session.execute(
                sa.delete(InboxUpdate).where(InboxUpdate.chat_id == chat_id)
            )
            outbox = await session.execute(
                sa.delete(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
            )
            return int(inbox.rowcount or 0) + int(outbox.rowcount or 0)
