"""The outbox's task runner: follow-up work (a receipt, a staff announcement) queued with a
turn's replies and run when delivery reaches it, so the replies before it do not wait."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.logs import failure_fields
from bot.turn_buffer import TurnBuffer
from storage.durable import DurableStore, OutboxEntry

# Named as before the split: log filters, alerts and tests key on the logger's name.
log = logging.getLogger("bot.outbox")
TaskHandler = Callable[[dict[str, Any]], Awaitable[None]]
# Attempts before an entry (a message or a task) is given up as failed.
MAX_ATTEMPTS = 30


class TaskInterrupted(Exception):
    """Raised by a task that shutdown cut short (not its own failure): it stays pending and
    runs again at the next start."""


class TaskRunner:
    """The part of the outbox that runs task entries by name."""

    store: DurableStore
    _tasks: dict[str, TaskHandler]
    # The outbox's own (bot/outbox.py): a turn's buffer, and the delivery of one entry.
    begin: Callable[[int], contextvars.Token[TurnBuffer | None]]
    end: Callable[[contextvars.Token[TurnBuffer | None]], TurnBuffer | None]
    deliver: Callable[[OutboxEntry], Awaitable[bool]]

    def register_task(self, name: str, handler: TaskHandler) -> None:
        """What to run when a task entry of this name is reached."""
        self._tasks[name] = handler

    async def _run_task(self, entry: OutboxEntry) -> bool:
        """Run a follow-up task; what it says is queued with it done, then delivered."""
        name = entry.payload["task"]
        handler = self._tasks.get(name)
        if handler is None:
            await self.store.mark_attempt(entry.id, f"no handler for task {name}", failed=True)
            log.error("unknown outbox task", extra={"outbox_id": entry.id, "task": name})
            return False
        token = self.begin(entry.update_id or 0)
        try:
            await handler(entry.payload["arguments"])
        except TaskInterrupted:
            self.end(token)
            # Counted as an attempt, never as failed: so the retry loop of the next start
            # finds it, whether or not its update was marked processed meanwhile.
            await self.store.mark_attempt(entry.id, "interrupted by shutdown", failed=False)
            log.info("outbox task interrupted by shutdown; kept", extra={"outbox_id": entry.id})
            return False
        except Exception as exc:  # the retry loop runs it again; the next entries go on
            self.end(token)
            failed = entry.attempts + 1 >= MAX_ATTEMPTS
            await self.store.mark_attempt(entry.id, type(exc).__name__, failed=failed)
            log.error(
                "outbox task failed; will retry",
                extra={"outbox_id": entry.id, "task": name, **failure_fields(exc)},
            )
            return False
        buffer = self.end(token)
        follow_ups = buffer.items if buffer is not None else []
        for queued in await self.store.complete_task(entry, follow_ups):
            await self.deliver(queued)
        return True
