"""The durable inbox and outbox: nothing a patient sends or is sent is only in memory.

`DurableStore` is built from its parts; add a method beside the part it belongs to:

| module | part |
| --- | --- |
| `storage/inbox_store.py` | the inbox: store an update or refuse a repeat, the unhandled, pruning |
| `storage/outbox_store.py` | the outbox: a turn's or a task's messages, pending, sent, failed |
| `storage/turn_state.py` | where an update's turn got to: processed, decided, new |
| `storage/claims.py` | which worker holds each unprocessed update (its lease) |
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from storage.claims import CLAIM_LEASE
from storage.db import Database
from storage.inbox_store import ARCHIVE_ATTEMPTS, PRUNE_BATCH, REPEAT_WINDOW, InboxMethods
from storage.models import InboxUpdate, OutboxMessage
from storage.outbox_store import (
    ERROR_TEXT_LIMIT,
    FOLLOW_UP_SEQ_STRIDE,
    OutboxEntry,
    OutboxMethods,
    sent_statement,
)
from storage.timeutil import utcnow
from storage.turn_state import TurnState, TurnStateMethods

__all__ = [
    "ARCHIVE_ATTEMPTS",
    "ERROR_TEXT_LIMIT",
    "FOLLOW_UP_SEQ_STRIDE",
    "PRUNE_BATCH",
    "REPEAT_WINDOW",
    "DurableStore",
    "OutboxEntry",
    "TurnState",
    "sent_statement",
]


class DurableStore(InboxMethods, TurnStateMethods, OutboxMethods):
    """The inbox, the turns' state and the outbox of one worker (`owner`), on one database."""

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
