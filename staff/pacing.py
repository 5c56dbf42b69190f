"""A staff group's budget: a token bucket under Telegram's 20 messages a minute per group, with
a reserve that only the first lane (live conversations, acknowledgements) may spend.

Telegram counts every message the bot puts in a group (sends, copies, edits, a topic's
creation and close) against about 20 a minute, shared by all the group's topics, with short
bursts allowed. Paced below that rate and burst, this bucket never spends faster than
Telegram's own refills, so no 429 comes in normal operation. Announcements may only spend
while more than the reserve is left: a burst of them drains the bucket to the reserve and no
further, so a relay or a Take over acknowledgement finds a token at once. Background work
(topics made ahead of a take over) leaves one more, so the queue summary's next edit does not
wait behind it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Telegram's figure for one group, and what we stay under: 10 % below its rate, half its burst.
TELEGRAM_GROUP_PER_MINUTE = 20.0
GROUP_PER_MINUTE = 18.0
GROUP_BURST = 10.0
LIVE_RESERVE = 4.0


@dataclass
class GroupBudget:
    """Tokens refill continuously at `per_minute`, up to `burst`; the clock is injectable."""

    per_minute: float = GROUP_PER_MINUTE
    burst: float = GROUP_BURST
    reserve: float = LIVE_RESERVE
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self._updated = self.clock()
        self._blocked_until = 0.0

    @property
    def rate(self) -> float:
        """Tokens a second."""
        return self.per_minute / 60.0

    def _refill(self) -> float:
        now = self.clock()
        if now > self._updated:
            self.tokens = min(self.burst, self.tokens + (now - self._updated) * self.rate)
            self._updated = now
        return now

    def wait(self, cost: float, live: bool, headroom: float = 0.0) -> float:
        """Seconds until `cost` tokens may be spent by this lane (0: now); `headroom`: tokens
        to leave above the reserve as well (background work leaves the next summary one)."""
        now = self._refill()
        if now < self._blocked_until:
            return self._blocked_until - now
        floor = 0.0 if live else self.reserve + headroom
        missing = cost + floor - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def available(self) -> float:
        """Tokens there now (none while Telegram's "retry after" holds the group)."""
        now = self._refill()
        return 0.0 if now < self._blocked_until else self.tokens

    def spend(self, cost: float) -> None:
        self._refill()
        self.tokens -= cost

    def hold(self, seconds: float) -> None:
        """Telegram said "retry after": nothing is spent until then, and the bucket starts empty."""
        now = self._refill()
        self._blocked_until = max(self._blocked_until, now + seconds)
        self.tokens = min(self.tokens, 0.0)
        self._updated = max(self._updated, self._blocked_until)
