"""PTB's AIORateLimiter, measured: how long requests wait in it, and the flood waits it meets."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.metrics import RATE_LIMITER_RETRY_AFTER, RATE_LIMITER_WAIT_SECONDS

Result = bool | dict[str, Any] | list[dict[str, Any]]
# rate_limit_args of a call into a staff group that its own sender paces (staff/sender.py), or
# that is no message (getChatMember): PTB's group limiter is skipped, and a 429 is not retried
# here, as that would hold every other request back; the overall limiter still applies.
OWN_PACING = -1


class MeasuredRateLimiter(AIORateLimiter):
    """Times each request's stay in the limiter minus the time Telegram took to answer it.

    What is left is the wait: the limiters' queues, the pause while another request's
    RetryAfter holds everyone back, and the limiter's own sleeps before it retries.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        entered = time.perf_counter()
        in_telegram = 0.0
        if rate_limit_args == OWN_PACING:
            return await self._own_paced(callback, args, kwargs)

        async def timed(*call_args: Any, **call_kwargs: Any) -> Result:
            nonlocal in_telegram
            started = time.perf_counter()
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                RATE_LIMITER_RETRY_AFTER.inc()
                raise
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
            try:
                return await callback(*args, **kwargs)
            except RetryAfter:
                RATE_LIMITER_RETRY_AFTER.inc()
                raise
