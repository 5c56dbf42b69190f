"""One paced sender per staff group: the only way anything is sent into that group.

Each step takes the group's next due entry from its durable lanes (storage/staff_lanes.py):
the live lane first (a patient's message into a held case, the acknowledgements of take
over, hand back and close), then the others, and only when the group's budget
(staff/pacing.py) allows. A 429 holds the whole group for its retry_after and the entry stays
pending; other failures are retried with backoff. One worker at a time sends into a group
(a lease in `staff_groups`), so the budget is spent once however many workers run.

Why not PTB's AIORateLimiter for this: its group limiter (aiolimiter) lets waiting calls in
no particular order of importance and keeps them in memory, and the caller waits inside
the call, which is how a turn came to wait for its announcement. The rate_limit_args it
passes on hold only its retry count. Our calls skip its group limiter (bot/ratelimit.py,
OWN_PACING) and keep its overall 30-a-second limiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.logs import failure_fields
from staff.pacing import GroupBudget
from storage.staff_lanes import StaffLaneStore, StaffSend
from storage.timeutil import utcnow

log = logging.getLogger(__name__)

LIVE, PROMPT, BULK = 0, 1, 2
LANES = (LIVE, PROMPT, BULK)  # next_due takes the first lane with an entry due
# Tokens the background lane leaves above the live reserve: the summary's next edit.
BULK_HEADROOM = 1.0
# A prompt entry that has waited this long may spend the live reserve too: a new case must
# not stay out of the queue summary because a take over or relays spent the reserve.
PROMPT_PATIENCE_SECONDS = 5.0
# Idle polling finds what another worker recorded; this worker's own entries wake it at once.
POLL_SECONDS = 0.5
LEASE_SECONDS = 15.0
# A worker without the group's lease asks for it this often (it lapses LEASE_SECONDS after
# its holder's last renewal): a database write every 5 s, not every poll.
LEASE_RETRY_SECONDS = LEASE_SECONDS / 3
BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
MAX_ATTEMPTS = 30
# A prompt send (the queue summary, an urgent case's topic, /queue) that waited longer than
# this for its group's budget is logged: when it happens regularly, the group needs a sibling
# (README: "Staff groups"). The background lane's topics may wait: the summary shows them.
SLOW_ANNOUNCEMENT_SECONDS = 60.0
# Telegram's answers that mean "done already": nothing to send again.
ALREADY_DONE = ("message is not modified",)

Perform = Callable[[StaffSend], Awaitable[None]]
Cost = Callable[[StaffSend], Awaitable[int]]


def worker_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is another)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


class GroupSender:
    """Sends one staff group's entries, lane by lane, paced to the group's budget."""

    def __init__(
        self,
        chat_id: int,
        store: StaffLaneStore,
        perform: Perform,
        cost: Cost,
        *,
        budget: GroupBudget | None = None,
        owner: str | None = None,
        now: Callable[[], datetime] = utcnow,
        pause: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.store = store
        self.budget = budget or GroupBudget()
        self.owner = owner or worker_name()
        self._perform = perform
        self._cost = cost
        self._now = now
        self._pause = pause or self._wait_for_wake
        self._wake = asyncio.Event()
        self._lease_checked: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was recorded for this group: look now rather than at the next poll."""
        self._wake.set()

    def has_spare(self, cost: float) -> bool:
        """Whether this worker sends into the group and its budget could spend `cost` in the
        background lane now, leaving the reserve and the headroom: the group is quiet."""
        held = self._lease_checked is not None and self._now() - self._lease_checked < timedelta(
            seconds=LEASE_SECONDS / 3
        )
        return held and self.budget.available() >= cost + self.budget.reserve + BULK_HEADROOM

    async def _wait_for_wake(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _holds_lease(self) -> bool:
        now = self._now()
        fresh = self._lease_checked is not None and now - self._lease_checked < timedelta(
            seconds=LEASE_SECONDS / 3
        )
        if fresh:
            return True
        if await self.store.take_lease(self.chat_id, self.owner, LEASE_SECONDS):
            self._lease_checked = now
            return True
        self._lease_checked = None
        return False

    async def step(self) -> bool:
        """Send the next entry if it is due and the budget allows; False when it waited."""
        if not await self._holds_lease():
            await self._pause(LEASE_RETRY_SECONDS)
            return False
        entry = await self.store.next_due(self.chat_id, LANES, self._now())
        if entry is None:
            await self._pause(POLL_SECONDS)
            return False
        waited = (self._now() - entry.created_at).total_seconds()
        # A prompt send (the queue summary, an urgent topic) late already spends like a live one.
        live = entry.lane == LIVE or (entry.lane == PROMPT and waited >= PROMPT_PATIENCE_SECONDS)
        cost = await self._cost(entry)
        headroom = BULK_HEADROOM if entry.lane == BULK else 0.0
        wait = self.budget.wait(cost, live=live, headroom=headroom)
        if wait > 0:
            # Look again after the wait, or sooner when woken: a live entry may have come.
            await self._pause(min(wait, POLL_SECONDS) if not live else wait)
            return False
        self.budget.spend(cost)
        await self._send(entry)
        return True

    async def _send(self, entry: StaffSend) -> None:
        fields = {"staff_send": entry.id, "op": entry.op, "lane": entry.lane}
        try:
            await self._perform(entry)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            self.budget.hold(seconds)
            await self.store.defer(
                entry.id, self._now() + timedelta(seconds=seconds), "RetryAfter", count=False
            )
            log.warning("staff group flood wait", extra={**fields, "retry_after": seconds})
            return
        except BadRequest as exc:
            if any(text in exc.message.lower() for text in ALREADY_DONE):
                await self.store.mark_sent(entry.id)
                return
            # A topic deleted or closed by hand ("message thread not found", TOPIC_DELETED,
            # TOPIC_CLOSED) also lands here: the place to recreate it and send again.
            await self.store.give_up(entry.id, f"BadRequest: {exc.message[:80]}")
            log.error("staff group send rejected by Telegram", extra=fields)
            return
        except Forbidden:
            await self.store.give_up(entry.id, "Forbidden")
            log.error("the bot may not send into this staff group", extra=fields)
            return
        except Exception as exc:  # network, 5xx, the database: try again
            await self._retry_later(entry, exc, fields)
            return
        await self.store.mark_sent(entry.id)
        waited = (self._now() - entry.created_at).total_seconds()
        if entry.lane == PROMPT and waited > SLOW_ANNOUNCEMENT_SECONDS:
            log.warning(
                "staff group send waited long for the group's budget",
                extra={**fields, "waited_seconds": round(waited, 1), "staff_chat_id": self.chat_id},
            )

    async def _retry_later(
        self, entry: StaffSend, exc: BaseException, fields: dict[str, object]
    ) -> None:
        if entry.attempts + 1 >= MAX_ATTEMPTS:
            await self.store.give_up(entry.id, type(exc).__name__)
            log.error("staff group send given up", extra={**fields, **failure_fields(exc)})
            return
        delay = BACKOFF_SECONDS[min(entry.attempts, len(BACKOFF_SECONDS) - 1)]
        await self.store.defer(
            entry.id, self._now() + timedelta(seconds=delay), type(exc).__name__, count=True
        )
        log.warning("staff group send will be retried", extra={**fields, **failure_fields(exc)})

    # -- running -----------------------------------------------------------------------

    async def run_forever(self) -> None:
        while True:
            try:
                await self.step()
            except Exception as exc:  # the sender must outlive a passing database failure
                log.error("staff group sender failed", extra=failure_fields(exc))
                await asyncio.sleep(POLL_SECONDS)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):  # the next worker waits out the lease instead
            await self.store.drop_lease(self.chat_id, self.owner)


def _seconds(retry_after: object) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
