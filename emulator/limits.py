"""Telegram's sending limits: 429 "Too Many Requests: retry after N" past them.

Telegram publishes three (Bot FAQ, "My bot is hitting limits"): about 30 messages a
second overall, about one a second in one chat "with short bursts", and 20 a minute into
one group. Each is a token bucket here: a sustained rate and a burst of that many sends
at once, refilled continuously. That is also how PTB's AIORateLimiter paces (aiolimiter's
leaky bucket), so a bot paced by it meets no 429 from the overall and group limits.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from emulator.errors import too_many_requests

# What draws on the limits: every method that puts a message in a chat. Editing shares
# the sending limit (tdlib/td#2592, #3034) and so does a topic's creation, close, reopen
# or rename, each a service message in the chat. Callback answers, chat actions,
# deletions and reads are free (tdlib/telegram-bot-api#648).
LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendsticker",
        "sendvideo",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "createforumtopic",
        "editforumtopic",
        "closeforumtopic",
        "reopenforumtopic",
    }
)
# A send that arrives this little before its token is let through: a bot that paces itself
# by the same rule starts its clock when it sends, Telegram when the first call arrives, and
# network latency varies by more than that between calls.
GRACE_SECONDS = 0.05


@dataclass(frozen=True)
class FloodLimits:
    """The limits in force; a rate of None switches that limit off."""

    overall_per_second: float | None = 30.0
    overall_burst: int = 30
    group_per_minute: float | None = 20.0  # per group chat, all its forum topics together
    group_burst: int = 20
    private_per_second: float | None = 1.0  # per private chat
    private_burst: int = 5  # our reading of "short bursts": a turn's few replies at once

    @classmethod
    def off(cls) -> FloodLimits:
        return cls(overall_per_second=None, group_per_minute=None, private_per_second=None)

    def to_json(self) -> dict[str, float | int | None]:
        return asdict(self)


TELEGRAM_LIMITS = FloodLimits()
NO_LIMITS = FloodLimits.off()


@dataclass
class _Bucket:
    rate: float  # tokens a second
    capacity: float
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0 if one is), after refilling up to now."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        wait = max(0.0, 1.0 - self.tokens) / self.rate
        return 0.0 if wait <= GRACE_SECONDS else wait


@dataclass
class Admission:
    """A send the limits let through; `commit` takes its tokens once it succeeded."""

    buckets: list[_Bucket]

    def commit(self) -> None:
        for bucket in self.buckets:
            bucket.tokens -= 1


class FloodLimiter:
    """Per bot: the overall bucket, one per group chat and one per private chat."""

    def __init__(self, limits: FloodLimits = TELEGRAM_LIMITS) -> None:
        self.limits = limits
        self.refused: Counter[str] = Counter()
        self._buckets: dict[tuple[str, int, int], _Bucket] = {}

    def configure(self, limits: FloodLimits) -> None:
        """New limits, with full buckets (a fresh minute for every chat)."""
        self.limits = limits
        self._buckets.clear()

    def admit(self, bot_id: int, method: str, chat_id: int | None) -> Admission:
        """The buckets this call draws on, or 429 with retry_after when one is empty.

        `chat_id` is the resolved chat (positive: private, negative: group or channel);
        None for calls that name no known chat. Nothing is taken until `commit`.
        """
        if method.lower() not in LIMITED_METHODS:
            return Admission([])
        limits = self.limits
        wanted: list[tuple[str, int, float | None, int]] = [
            ("overall", 0, limits.overall_per_second, limits.overall_burst)
        ]
        if chat_id is not None and chat_id > 0:
            wanted.append(("private", chat_id, limits.private_per_second, limits.private_burst))
        elif chat_id is not None:
            per_second = limits.group_per_minute / 60 if limits.group_per_minute else None
            wanted.append(("group", chat_id, per_second, limits.group_burst))
        now = time.monotonic()
        buckets: list[_Bucket] = []
        slowest, slowest_wait = "", 0.0
        for kind, key, rate, burst in wanted:
            if not rate:
                continue
            bucket = self._buckets.get((kind, bot_id, key))
            if bucket is None:
                bucket = self._buckets[(kind, bot_id, key)] = _Bucket(rate, max(1.0, burst))
            buckets.append(bucket)
            wait = bucket.wait(now)
            if wait > slowest_wait:
                slowest, slowest_wait = kind, wait
        if slowest_wait > 0:
            self.refused[slowest] += 1
            raise too_many_requests(max(1, math.ceil(slowest_wait)), slowest)
        return Admission(buckets)
