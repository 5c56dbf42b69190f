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

from storage.claims import CLAIM_LEASE
from storage.db import Database
from storage.inbox_store import ARCHIVE_ATTEMPTS, PRUNE_BATCH, REPEAT_WINDOW, InboxMethods
from storage.outbox_store import (
    ERROR_TEXT_LIMIT,
    FOLLOW_UP_SEQ_STRIDE,
    OutboxEntry,
    OutboxMethods,
    sent_statement,
)
from storage.timeutil import utcnow
from storage.traces import erase_private_chat
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
        """Remove a patient's queued updates and messages (their content is personal data).

        /delete does this, and more, inside the erasure's transaction (storage/traces.py)."""
        async with self._db.session() as session, session.begin():
            inbox, outbox = await erase_private_chat(session, [chat_id])
            return inbox + outbox
