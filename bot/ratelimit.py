"""PTB's AIORateLimiter, measured: how long requests wait in it, and the flood waits it meets."""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.metrics import RATE_LIMITER_RETRY_AFTER, RATE_LIMITER_WAIT_SECONDS

Result = bool | dict[str, Any] | list[dict[str, Any]]
# rate_limit_args of a call into a staff group that its own sender paces (staff/sender.py), or
# that is no message (getChatMember): PTB's group limiter is skipped, and a 429 is not retried
# here, as that would hold every other request back; the overall limiter still applies.
OWN_PACING = -1
# Telegram asks for about one message a second in a private chat and tolerates short bursts;
# a 429 there makes PTB's limiter hold back every chat's requests, so each private chat is
# paced here: bursts of four, then a message every 1.1 s.
PRIVATE_BURST = 4
PRIVATE_PERIOD = 4.4
# Chats paced at once; the least recently used limiter goes first (an idle one is full anyway).
PRIVATE_LIMITERS_KEPT = 10_000


def counts_as_sending(endpoint: str) -> bool:
    """Sends, copies, forwards and edits count against a chat's budget; chat actions do not."""
    if endpoint == "sendChatAction":
        return False
    return endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage"))


class MeasuredRateLimiter(AIORateLimiter):
    """Times each request's stay in the limiter minus the time Telegram took to answer it.

    What is left is the wait: the limiters' queues, the pause while another request's
    RetryAfter holds everyone back, and the limiter's own sleeps before it retries.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._private_limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        if rate_limit_args == OWN_PACING:
            return await self._own_paced(callback, args, kwargs)
        chat_id = data.get("chat_id")
        if isinstance(chat_id, int) and chat_id > 0 and counts_as_sending(endpoint):
            entered = time.perf_counter()
            async with self._private_limiter(chat_id):
                paced = time.perf_counter() - entered
                return await self._measured(
                    callback, args, kwargs, endpoint, data, rate_limit_args, paced
                )
        return await self._measured(callback, args, kwargs, endpoint, data, rate_limit_args, 0.0)

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        limiters = self._private_limiters
        limiter = limiters.get(chat_id)
        if limiter is None:
            limiter = limiters[chat_id] = AsyncLimiter(PRIVATE_BURST, PRIVATE_PERIOD)
            if len(limiters) > PRIVATE_LIMITERS_KEPT:
                limiters.popitem(last=False)
        else:
            limiters.move_to_end(chat_id)
        return limiter

    async def _measured(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
        already_waited: float,
    ) -> Result:
        """PTB's limiter around the call, its wait observed (plus the private chat's pacing)."""
        entered = time.perf_counter() - already_waited
        in_telegram = 0.0

        async def timed(*call_args: Any, **call_kwargs: Any) -> Result:
            nonlocal in_telegram
            started = time.perf_counter()
            try:
                return await _counting_flood_waits(callback, call_args, call_kwargs)
            finally:
                in_telegram += time.perf_counter() - started

        try:
            return await super().process_request(
                timed, args, kwargs, endpoint, data, rate_limit_args
            )
        finally:
            waited = time.perf_counter() - entered - in_telegram
            RATE_LIMITER_WAIT_SECONDS.observe(max(0.0, waited))

    async def _own_paced(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """Under the overall limiter only, once: the staff group's sender paces and retries."""
        # PTB keeps its overall limiter in a private slot; there is no public way to share it.
        overall = self._base_limiter
        entered = time.perf_counter()
        async with overall if overall is not None else contextlib.nullcontext():
            RATE_LIMITER_WAIT_SECONDS.observe(time.perf_counter() - entered)
            return await _counting_flood_waits(callback, args, kwargs)


async def _counting_flood_waits(
    callback: Callable[..., Coroutine[Any, Any, Result]], args: Any, kwargs: dict[str, Any]
) -> Result:
    """The call to Telegram; a 429 it answers is counted, then raised as ever."""
    try:
        return await callback(*args, **kwargs)
    except RetryAfter:
        RATE_LIMITER_RETRY_AFTER.inc()
        raise
