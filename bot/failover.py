"""Take over a killed worker's stored but unprocessed updates, without waiting for a restart.

Every worker stamps the updates it stores with its id and a lease (storage/claims.py) and,
here, renews those leases every third of their length. A worker killed with SIGKILL renews
nothing: once its leases have run out, the next sweep of a live worker claims its updates
(one UPDATE, so one worker gets each) and queues them on the normal per-chat path. There the
chat's turn lock, whose Redis ticket also lapses with its dead holder (bot/locks.py), and
the turn's stored state (bot/turns.py) decide: a turn never run is run, a turn whose replies
were recorded sends only what is still pending (the sends in flight at the kill repeat),
a processed one is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket

from telegram import Bot

from bot.inbox import DurableUpdateQueue
from bot.logs import failure_fields
from storage.claims import InboxClaims

log = logging.getLogger(__name__)


def worker_id() -> str:
    """Unique per process start, readable by an operator: host, pid and a random tail."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class FailoverSweep:
    """Renews this worker's leases and claims the updates of workers whose leases ran out."""

    def __init__(
        self,
        claims: InboxClaims,
        queue: DurableUpdateQueue,
        bot: Bot,
        interval: float | None = None,
    ) -> None:
        self.claims = claims
        self.queue = queue
        self.bot = bot
        # A third of the lease: two renewals may fail before a live worker's lease runs out.
        self.interval = interval or claims.lease.total_seconds() / 3
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> int:
        """Renew, then take over what is abandoned; how many updates were taken."""
        await self.claims.renew()
        taken = await self.claims.claim_abandoned()
        queued = 0
        for data in taken:
            queued += await self.queue.requeue(data, self.bot)
        if taken:
            log.warning("took over updates of a stopped worker", extra={"count": len(taken)})
        return queued

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception as error:  # the database may be away a moment: sweep again later
                log.error("failover sweep failed", extra=failure_fields(error))
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
