"""The durable inbox: every update is stored before Telegram learns it was received.

PTB's polling loop confirms an update (the next getUpdates offset) and its webhook server
answers 200 only after `update_queue.put()` returns, so storing inside `put()` gives
"stored before acknowledged" in both modes without replacing PTB's updater.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, Update

from bot.logs import failure_fields
from storage.durable import DurableStore
from translation import DEFAULT_LANGUAGE
from translation.detect import has_devanagari, telegram_hint

log = logging.getLogger(__name__)
DOWN_NOTICE_INTERVAL = 300.0
# How often processed updates past their retention are deleted (and once at start).
PRUNE_INTERVAL = 3600.0


def update_language(update: Update) -> str:
    """The language an update shows without the database: Devanagari in it, or Telegram's
    Hindi (translation/choice.py decides for good once the patient's record can be read)."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message is not None else ""
    user = update.effective_user
    if has_devanagari(text):
        return "hi"
    return telegram_hint(user.language_code if user else None) or DEFAULT_LANGUAGE


class DurableUpdateQueue(asyncio.Queue[object]):
    """An update queue that keeps each update in the database and drops repeated update_ids."""

    def __init__(
        self, store: DurableStore, notice: str | Callable[[str], str] | None = None
    ) -> None:
        super().__init__()
        self.store = store
        # Sent straight to a patient (no outbox: the database is what failed), in a
        # language (a function of it) read off the update, since the patient's is stored.
        self.notice = notice
        self._told: dict[int, float] = {}
        self._pruner: asyncio.Task[None] | None = None

    async def put(self, item: object) -> None:
        """Store, then queue; a repeat of a stored update_id is ignored.

        If the database cannot take it, the error propagates: PTB then does not confirm
        the update (polling) or answers 500 (webhook), so Telegram keeps it and sends it
        again. The patient hears once that we are delayed.
        """
        if isinstance(item, Update):
            chat = item.effective_chat
            try:
                stored = await self.store.store_update(
                    item.update_id, chat.id if chat else None, item.to_dict()
                )
            except Exception as exc:
                await self._database_down(item, exc)
                raise
            if not stored:
                log.info("repeated update ignored", extra={"update_id": item.update_id})
                return
        await super().put(item)

    async def _database_down(self, update: Update, error: Exception) -> None:
        log.error(
            "database unreachable: update left with Telegram",
            extra=failure_fields(error),
        )
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE or self.notice is None:
            return
        now = time.monotonic()
        if now - self._told.get(chat.id, -DOWN_NOTICE_INTERVAL) < DOWN_NOTICE_INTERVAL:
            return
        self._told[chat.id] = now
        notice = self.notice
        if not isinstance(notice, str):
            notice = notice(update_language(update))
        with contextlib.suppress(Exception):
            await update.get_bot().send_message(chat.id, notice)

    async def replay(self, bot: Bot) -> int:
        """Queue what was stored but never processed (a crash or a kill), oldest first."""
        pending = await self.store.unprocessed_updates()
        for data in pending:
            await self.requeue(data, bot)
        if pending:
            log.info("replaying unprocessed updates", extra={"count": len(pending)})
        return len(pending)

    async def requeue(self, data: dict[str, Any], bot: Bot) -> bool:
        """Queue a stored update again without storing it: a replay, or a takeover from a
        killed worker (bot/failover.py). Its turn runs on the normal per-chat path."""
        update = Update.de_json(data, bot)
        if update is None:
            return False
        await super().put(update)
        return True

    # -- retention ---------------------------------------------------------------------

    def start_pruning(self, retention: timedelta, interval: float = PRUNE_INTERVAL) -> None:
        """Delete processed updates (raw texts and names) once past `retention`, periodically."""
        if self._pruner is None:
            self._pruner = asyncio.create_task(self._prune_forever(retention, interval))

    async def prune(self, retention: timedelta) -> int:
        """One pass; a failure is logged and the next pass tries again."""
        try:
            pruned = await self.store.prune_processed(retention)
        except Exception as exc:  # a passing database failure must not stop the loop
            log.error("pruning the inbox failed", extra=failure_fields(exc))
            return 0
        if pruned:
            log.info("processed updates past retention deleted", extra={"count": pruned})
        return pruned

    async def _prune_forever(self, retention: timedelta, interval: float) -> None:
        while True:
            await self.prune(retention)
            await asyncio.sleep(interval)

    async def stop_pruning(self) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
            self._pruner = None
