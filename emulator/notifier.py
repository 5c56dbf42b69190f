"""Wake-ups for waiters (long polls, wait_for_* controls) when the emulator's state changes.

Each waiter registers its condition; `notify()` re-checks the conditions right away and
resolves only the waiters whose condition now holds, so hundreds of idle waiters cost one
cheap check each per change instead of a task wake-up each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Condition = Callable[[], bool]


class Notifier:
    def __init__(self) -> None:
        self._waiters: list[tuple[Condition, asyncio.Future[bool]]] = []

    def notify(self) -> None:
        if not self._waiters:
            return
        waiting: list[tuple[Condition, asyncio.Future[bool]]] = []
        for condition, future in self._waiters:
            if future.done():
                continue
            try:
                satisfied = condition()
            except Exception as exc:  # surfaces in the waiter, not in whoever changed state
                future.set_exception(exc)
                continue
            if satisfied:
                future.set_result(True)
            else:
                waiting.append((condition, future))
        self._waiters = waiting

    async def wait_until(self, condition: Condition, timeout: float) -> bool:
        """True once `condition()` holds, False if `timeout` seconds pass first."""
        if condition():
            return True
        if timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._waiters.append((condition, future))
        expiry = loop.call_later(timeout, _resolve, future, False)
        try:
            return await future
        finally:
            expiry.cancel()
            if not future.done():
                future.cancel()


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)
