"""Process updates of different chats concurrently, but each chat's updates in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.locks import turn_lock
from bot.turns import TurnRunner

if TYPE_CHECKING:
    from rasa.core.lock_store import LockStore


def chat_key(update: object) -> int | None:
    """The chat an update belongs to, or None for updates with no chat."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One lock per chat: PTB starts update tasks in arrival order and asyncio locks are FIFO.

    A chat's updates can reach different workers (a proxy that does not keep chats on one
    worker, or a dead worker's chats moving); the shared lock (first come, first served
    across workers) keeps the whole turn on one worker at a time.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        # Set once the Application (and so the bot the outbox sends with) exists.
        self.turns: TurnRunner | None = None
        # With several workers, a chat's turns must also wait for the other workers' (Redis).
        self.shared_locks: LockStore | None = None

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.turns is not None and isinstance(update, Update):
            await self.turns.run(update, coroutine)
        else:
            await coroutine

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update while holding its chat's lock."""
        key = chat_key(update)
        if key is None:
            await self._handle(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, turn_lock(self.shared_locks, key):
                await self._handle(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                # Forget idle chats so the table does not grow with every patient ever seen.
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
