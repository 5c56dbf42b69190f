"""The durable inbox: each update kept before it is handled, a repeat refused, old ones pruned.

`InboxMethods` is mixed into `DurableStore` (storage/durable.py). A stored update carries its
worker's claim (storage/claims.py) when the store has an owner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage

log = logging.getLogger(__name__)

# Telegram keeps an undelivered update 24 hours at most, so a repeat comes within a day of
# the first delivery; after a week without updates it picks the next update_id at random, so
# an older row with the same id is another update. The hour covers clocks that differ
# between workers; anything from 24 hours to 7 days would be correct.
REPEAT_WINDOW = timedelta(hours=25)
# Rows pruned per transaction: SQLite's one writer lock is not held for long.
PRUNE_BATCH = 1000
# Attempts at moving an old row aside when another worker takes the same free key.
ARCHIVE_ATTEMPTS = 3


class InboxMethods:
    """DurableStore's inbox: store an update (or refuse a repeat), list the unhandled, prune."""

    _db: Database
    _clock: Callable[[], datetime]
    _owner: str | None
    _lease: timedelta

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
