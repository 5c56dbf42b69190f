"""The durable outbox: messages to patients are recorded before they are sent, then retried.

Within one update's handling, messages are buffered; when the handlers are done, the
whole turn is written in one transaction and delivered in order. An update that is
processed again after a crash finds its turn already written and only delivers what is
still pending, so the dialogue model is not asked twice and nothing is sent twice
(except a message whose send completed in the instant before the crash).

`Outbox` is built from its parts: `bot/outbox_payloads.py` (what an entry holds and the Bot
API call that sends it), `bot/outbox_tasks.py` (follow-up tasks run in order with the
messages), `bot/turn_buffer.py` (a turn's buffer), and here the turn being handled, delivery
with its retries, and the redelivery loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.logs import failure_fields
from bot.metrics import TELEGRAM_ERROR, count_telegram_error
from bot.outbox_payloads import (
    copy_payload,
    document_payload,
    send_payload,
    task_payload,
    text_payload,
)
from bot.outbox_tasks import MAX_ATTEMPTS, TaskHandler, TaskInterrupted, TaskRunner
from bot.turn_buffer import TurnBuffer
from storage.durable import DurableStore, OutboxEntry

__all__ = [
    "MAX_ATTEMPTS",
    "Outbox",
    "TaskHandler",
    "TaskInterrupted",
    "TurnBuffer",
    "copy_payload",
    "document_payload",
    "task_payload",
    "text_payload",
]

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
REDELIVERY_INTERVAL = 10.0
# Called once Telegram accepted a message: it must mark the entry sent, in the same
# transaction as whatever it records, so a crash cannot leave one without the other.
Recorder = Callable[[OutboxEntry, Message], Awaitable[None]]
BlockedHook = Callable[[int], Awaitable[None]]


_current_turn: contextvars.ContextVar[TurnBuffer | None] = contextvars.ContextVar(
    "current_turn", default=None
)


class Outbox(TaskRunner):
    """Sends what the gateway and the staff desk say to patients, durably."""

    def __init__(
        self,
        bot: Bot,
        store: DurableStore,
        recorder: Recorder,
        on_blocked: BlockedHook,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.bot = bot
        self.store = store
        self._record = recorder
        self._on_blocked = on_blocked
        self._delays = tuple(retry_delays)
        self._redelivery: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self._tasks: dict[str, TaskHandler] = {}

    # -- turns -------------------------------------------------------------------------

    def begin(self, update_id: int, attempt: int = 0) -> contextvars.Token[TurnBuffer | None]:
        return _current_turn.set(TurnBuffer(update_id, attempt))

    def end(self, token: contextvars.Token[TurnBuffer | None]) -> TurnBuffer | None:
        buffer = _current_turn.get()
        _current_turn.reset(token)
        return buffer

    async def send(self, chat_id: int, payload: dict[str, Any]) -> None:
        """Buffer for the current turn, or record and deliver at once outside any turn."""
        buffer = _current_turn.get()
        if buffer is not None:
            buffer.items.append((chat_id, payload))
            return
        for entry in await self.store.add_outgoing(None, [(chat_id, payload)]):
            await self.deliver(entry)

    async def send_now(self, chat_id: int, payload: dict[str, Any]) -> None:
        """Record and deliver at once, even inside a turn (a notice that must not wait)."""
        for entry in await self.store.add_outgoing(None, [(chat_id, payload)]):
            await self.deliver(entry)

    def first_attempt(self) -> bool:
        """Whether this is the first time the current update is handled."""
        buffer = _current_turn.get()
        return buffer is None or buffer.attempt == 0

    def keep_unprocessed(self) -> None:
        """The current turn failed: run it again later, and do not send what it decided."""
        buffer = _current_turn.get()
        if buffer is not None:
            buffer.unprocessed = True

    async def flush(self, buffer: TurnBuffer) -> None:
        """Write the turn in one transaction, then deliver it in order."""
        if not buffer.items:
            return
        for entry in await self.store.add_outgoing(buffer.update_id, buffer.items):
            await self.deliver(entry)

    async def deliver_pending(self, update_id: int | None = None) -> int:
        """Deliver one update's unsent messages, or (no update) those awaiting a retry."""
        pending = await self.store.pending_outgoing(
            update_id, max_attempts=MAX_ATTEMPTS, retrying_only=update_id is None
        )
        for entry in pending:
            await self.deliver(entry)
        return len(pending)

    # -- delivery ----------------------------------------------------------------------

    async def deliver(self, entry: OutboxEntry) -> bool:
        """Send one message unless it is already being sent (a turn and the retry loop)."""
        if entry.id in self._in_flight:
            return False
        self._in_flight.add(entry.id)
        try:
            return await self._deliver(entry)
        finally:
            self._in_flight.discard(entry.id)

    async def _deliver(self, entry: OutboxEntry) -> bool:
        """Send one message, retrying network errors, 5xx and flood waits with backoff."""
        if entry.payload["kind"] == "task":
            return await self._run_task(entry)
        error = "not attempted"
        for attempt in range(len(self._delays) + 1):
            try:
                sent = await send_payload(self.bot, entry)
            except RetryAfter as exc:
                TELEGRAM_ERROR["RetryAfter"].inc()
                error = "RetryAfter"
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Forbidden:
                TELEGRAM_ERROR["Forbidden"].inc()
                await self._attempted(entry, "Forbidden", failed=True)
                log.warning("patient blocked the bot", extra={"outbox_id": entry.id})
                await self._on_blocked(entry.chat_id)
                return False
            except BadRequest as exc:
                TELEGRAM_ERROR["BadRequest"].inc()
                # A request Telegram will never accept: retrying cannot help.
                await self._attempted(entry, f"BadRequest: {exc.message[:80]}", failed=True)
                log.error("message rejected by Telegram", extra={"outbox_id": entry.id})
                return False
            except TelegramError as exc:
                count_telegram_error(exc)
                error = type(exc).__name__
                if attempt < len(self._delays):
                    await asyncio.sleep(self._delays[attempt])
                continue
            if entry.payload.get("forget"):
                # Delivered, and nothing of it kept (the confirmation of an erasure).
                await self.store.forget_outgoing(entry.id)
                return True
            # Marks the entry sent and records it in one transaction (see Recorder).
            await self._record(entry, sent)
            return True
        await self._attempted(entry, error, failed=entry.attempts + 1 >= MAX_ATTEMPTS)
        log.error(
            "message not delivered yet; will retry", extra={"outbox_id": entry.id, "error": error}
        )
        return False

    async def _attempted(self, entry: OutboxEntry, error: str, *, failed: bool) -> None:
        """One more failed attempt; given up on, an entry to `forget` is deleted instead."""
        if failed and entry.payload.get("forget"):
            await self.store.forget_outgoing(entry.id)
            return
        await self.store.mark_attempt(entry.id, error, failed=failed)

    # -- background redelivery ---------------------------------------------------------

    def start_redelivery(self, interval: float = REDELIVERY_INTERVAL) -> None:
        if self._redelivery is None:
            self._redelivery = asyncio.create_task(self._redeliver_forever(interval))

    async def _redeliver_forever(self, interval: float) -> None:
        while True:
            try:
                await self.deliver_pending()
            except Exception as exc:  # the loop must outlive a passing database failure
                log.error("redelivery failed", extra=failure_fields(exc))
            await asyncio.sleep(interval)

    async def stop_redelivery(self) -> None:
        if self._redelivery is not None:
            self._redelivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._redelivery
            self._redelivery = None


def _seconds(retry_after: object) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
