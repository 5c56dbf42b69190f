"""One update = one turn: run the handlers once, keep what they say, mark the update done."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import Update

from bot.outbox import Outbox
from storage.durable import DurableStore

log = logging.getLogger(__name__)
# Waits before running a failed turn again (the dialogue or the database was unreachable).
TURN_RETRY_DELAYS = (2.0, 5.0, 10.0)


class TurnRunner:
    """Ties the durable inbox to the durable outbox around PTB's handling of an update."""

    def __init__(
        self,
        store: DurableStore,
        outbox: Outbox,
        process: Callable[[Update], Awaitable[Any]],
        retry_delays: Sequence[float] = TURN_RETRY_DELAYS,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self._process = process
        self._delays = tuple(retry_delays)

    async def run(self, update: Update, handle: Awaitable[Any]) -> None:
        """Handle once; a turn that failed is run again (this chat waits) before giving up."""
        state = await self.store.turn_state(update.update_id)
        if state != "new":
            # Handled before (a crash, or another worker's replay): never ask the model twice.
            if isinstance(handle, Coroutine):
                handle.close()
            if state == "decided":
                await self.outbox.deliver_pending(update.update_id)
                await self.store.mark_processed(update.update_id)
            return
        for attempt in range(len(self._delays) + 1):
            if attempt:
                await asyncio.sleep(self._delays[attempt - 1])
            token = self.outbox.begin(update.update_id, attempt)
            try:
                await (handle if attempt == 0 else self._process(update))
            finally:
                buffer = self.outbox.end(token)
            if buffer is None or not buffer.unprocessed:
                break
        else:
            log.error(
                "update left unprocessed for the next replay", extra={"update_id": update.update_id}
            )
            return
        if buffer is not None:
            await self.outbox.flush(buffer)
        await self.store.mark_processed(update.update_id)
