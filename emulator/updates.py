"""A bot's pending updates: getUpdates long polling with offsets, and allowed_updates."""

from __future__ import annotations

from collections import deque
from typing import Any

from emulator.errors import ApiError
from emulator.notifier import Notifier

# Telegram leaves these out unless a bot asks for them by name.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_LIMIT = 100


def update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Updates not yet confirmed by the bot, oldest first."""

    def __init__(self) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._notifier = Notifier()
        self._poll_generation = 0
        self.allowed_updates: list[str] = []

    def __len__(self) -> int:
        return len(self._pending)

    def accepts(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    def push(self, update: dict[str, Any]) -> bool:
        """Queues `update` unless the bot's allowed_updates filters it out."""
        if not self.accepts(update_type(update)):
            return False
        self._pending.append(update)
        self._notifier.notify()
        return True

    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending)

    def clear(self) -> None:
        self._pending.clear()

    def confirm(self, offset: int) -> None:
        """Telegram's offset: forget updates below it; a negative one keeps the last -offset."""
        if offset < 0:
            keep = -offset
            while len(self._pending) > keep:
                self._pending.popleft()
            return
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()

    def drop_first(self, update_id: int) -> None:
        if self._pending and self._pending[0]["update_id"] == update_id:
            self._pending.popleft()

    def first(self) -> dict[str, Any] | None:
        return self._pending[0] if self._pending else None

    async def wait_nonempty(self, timeout: float) -> bool:
        return await self._notifier.wait_until(lambda: bool(self._pending), timeout)

    def interrupt_waiters(self) -> None:
        self._notifier.notify()

    async def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        if offset is not None:
            self.confirm(offset)
        limit = max(1, min(limit, MAX_LIMIT))
        # A newer getUpdates ends an older one still waiting, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notifier.notify()
        superseded = False

        def ready() -> bool:
            nonlocal superseded
            superseded = generation != self._poll_generation
            return bool(self._pending) or superseded

        if timeout > 0:
            await self._notifier.wait_until(ready, timeout)
        if self._pending:
            return [self._pending[i] for i in range(min(limit, len(self._pending)))]
        if superseded:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        return []
