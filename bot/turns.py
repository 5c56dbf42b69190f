"""One update = one turn: run the handlers once, keep what they say, mark the update done."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update

from bot.outbox import Outbox
from storage.durable import DurableStore

log = logging.getLogger(__name__)


class TurnRunner:
    """Ties the durable inbox to the durable outbox around PTB's handling of an update."""

    def __init__(self, store: DurableStore, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    async def run(self, update: Update, handle: Awaitable[Any]) -> None:
        if await self.store.has_outgoing(update.update_id):
            # Handled before a crash: its replies are decided; only deliver what is left.
            if isinstance(handle, Coroutine):
                handle.close()
            await self.outbox.deliver_pending(update.update_id)
        else:
            token = self.outbox.begin(update.update_id)
            try:
                await handle
            finally:
                buffer = self.outbox.end(token)
            if buffer is not None:
                await self.outbox.flush(buffer)
        await self.store.mark_processed(update.update_id)
