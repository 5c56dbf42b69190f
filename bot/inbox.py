"""The durable inbox: every update is stored before Telegram learns it was received.

PTB's polling loop confirms an update (the next getUpdates offset) and its webhook server
answers 200 only after `update_queue.put()` returns, so storing inside `put()` gives
"stored before acknowledged" in both modes without replacing PTB's updater.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update

from storage.durable import DurableStore

log = logging.getLogger(__name__)


class DurableUpdateQueue(asyncio.Queue[object]):
    """An update queue that keeps each update in the database and drops repeated update_ids."""

    def __init__(self, store: DurableStore) -> None:
        super().__init__()
        self.store = store

    async def put(self, item: object) -> None:
        """Store, then queue; a repeat of a stored update_id is ignored."""
        if isinstance(item, Update):
            chat = item.effective_chat
            stored = await self.store.store_update(
                item.update_id, chat.id if chat else None, item.to_dict()
            )
            if not stored:
                log.info("repeated update ignored", extra={"update_id": item.update_id})
                return
        await super().put(item)

    async def replay(self, bot: Bot) -> int:
        """Queue what was stored but never processed (a crash or a kill), oldest first."""
        pending = await self.store.unprocessed_updates()
        for data in pending:
            update = Update.de_json(data, bot)
            if update is not None:
                await super().put(update)
        if pending:
            log.info("replaying unprocessed updates", extra={"count": len(pending)})
        return len(pending)
