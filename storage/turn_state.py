"""Where each update's handling got to: processed, decided (replies recorded), or new.

`TurnStateMethods` is mixed into `DurableStore` (storage/durable.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage

# "processed": done, by this worker or another; "decided": its replies are recorded but
# maybe not all sent (a crash in between); "new": never handled to the end.
TurnState = Literal["processed", "decided", "new"]


class TurnStateMethods:
    """DurableStore's turn markers: mark an update processed, ask where its turn got to."""

    _db: Database
    _clock: Callable[[], datetime]

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
