"""Fault injection and Telegram-like flood limits, both off until a test asks for them."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from emulator.errors import ApiError, too_many_requests

ANY_METHOD = "*"
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Methods Telegram counts against its sending limits.
RATE_LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendsticker",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass(frozen=True)
class Fault:
    status: int
    description: str | None = None
    retry_after: int | None = None

    def to_error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after or 1)
        description = self.description or DEFAULT_DESCRIPTIONS.get(self.status, "Error")
        parameters = {"retry_after": self.retry_after} if self.retry_after else None
        return ApiError(self.status, description, parameters)


class FaultPlan:
    """Answers the next N calls of a method (per bot, or any bot) with a chosen error."""

    def __init__(self) -> None:
        self._queued: dict[tuple[int | None, str], deque[Fault]] = {}

    def add(self, bot_id: int | None, method: str, fault: Fault, count: int) -> None:
        queue = self._queued.setdefault((bot_id, method.lower()), deque())
        queue.extend([fault] * count)

    def take(self, bot_id: int, method: str) -> Fault | None:
        for key in ((bot_id, method.lower()), (None, method.lower()), (bot_id, ANY_METHOD),
                    (None, ANY_METHOD)):
            queue = self._queued.get(key)
            if queue:
                fault = queue.popleft()
                if not queue:
                    del self._queued[key]
                return fault
        return None

    def clear(self) -> None:
        self._queued.clear()


class _TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def seconds_until_available(self, now: float) -> float:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(now, self.updated)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodLimiter:
    """Per-chat and global sending rates; exceeding one answers 429 with retry_after."""

    def __init__(self) -> None:
        self.per_chat_per_second: float | None = None
        self.global_per_second: float | None = None
        self._chats: dict[tuple[int, int | str], _TokenBucket] = {}
        self._global: dict[int, _TokenBucket] = {}

    def configure(self, per_chat_per_second: float | None, global_per_second: float | None) -> None:
        self.per_chat_per_second = per_chat_per_second or None
        self.global_per_second = global_per_second or None
        self._chats.clear()
        self._global.clear()

    def check(self, bot_id: int, method: str, chat_id: int | str | None) -> None:
        """Takes one send from the buckets or raises 429; nothing is taken on refusal."""
        if method.lower() not in RATE_LIMITED_METHODS:
            return
        now = time.monotonic()
        buckets: list[_TokenBucket] = []
        if self.global_per_second:
            buckets.append(self._global.setdefault(bot_id, _TokenBucket(self.global_per_second)))
        if self.per_chat_per_second and chat_id is not None:
            buckets.append(
                self._chats.setdefault((bot_id, chat_id), _TokenBucket(self.per_chat_per_second))
            )
        wait = max((bucket.seconds_until_available(now) for bucket in buckets), default=0.0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.tokens -= 1
