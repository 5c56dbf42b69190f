"""Injected faults: the next N calls of a method answer a chosen error."""

from __future__ import annotations

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
