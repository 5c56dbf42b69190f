"""Which worker holds each stored, unprocessed update: a lease it renews while it lives.

A worker stamps the updates it stores with its id and a lease (`DurableStore(owner=…)`) and
renews the lease of those it has not processed yet. When a worker is killed its leases run
out; another worker then claims those updates, in one UPDATE whose condition is the expired
lease, so of two live workers sweeping at once only one gets each update.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.db import Database
from storage.models import InboxUpdate
from storage.timeutil import utcnow

# How long a stored update stays its worker's without a renewal (renewed every third of it).
CLAIM_LEASE = timedelta(seconds=15)
# Updates taken over in one sweep; the next sweep takes the rest.
CLAIM_BATCH = 500


def _abandoned(now: datetime, lease: timedelta) -> sa.sql.ColumnElement[bool]:
    """Unprocessed, and its lease has run out (or it never had one and is older than one)."""
    return sa.and_(
        InboxUpdate.processed_at.is_(None),
        sa.or_(
            InboxUpdate.claimed_until < now,
            sa.and_(InboxUpdate.claimed_until.is_(None), InboxUpdate.received_at < now - lease),
        ),
    )


class InboxClaims:
    """One worker's side of the leases: renew its own, claim those of workers gone."""

    def __init__(
        self,
        db: Database,
        owner: str,
        lease: timedelta = CLAIM_LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self.owner = owner
        self.lease = lease
        self._clock = clock

    async def renew(self) -> int:
        """Extend the lease of every update this worker holds and has not processed."""
        async with self._db.engine.begin() as connection:
            renewed = await connection.execute(
                sa.update(InboxUpdate)
                .where(InboxUpdate.claimed_by == self.owner, InboxUpdate.processed_at.is_(None))
                .values(claimed_until=self._clock() + self.lease)
            )
            return int(renewed.rowcount or 0)

    async def adopt_unprocessed(self) -> int:
        """At start, before the replay queues every unprocessed update: they are this worker's
        now, so the sweep does not queue them a second time once their old leases run out."""
        async with self._db.engine.begin() as connection:
            adopted = await connection.execute(
                sa.update(InboxUpdate)
                .where(InboxUpdate.processed_at.is_(None))
                .values(claimed_by=self.owner, claimed_until=self._clock() + self.lease)
            )
            return int(adopted.rowcount or 0)

    async def claim_abandoned(self, limit: int = CLAIM_BATCH) -> list[dict[str, Any]]:
        """Take the unprocessed updates whose lease ran out, oldest first, as raw updates.

        The UPDATE re-checks the expired lease on each row (PostgreSQL re-reads a row another
        transaction just changed; SQLite has one writer), so a row two workers go for is
        taken by one: the rows stamped with this call's lease end are the ones it won.
        """
        now = self._clock()
        until = now + self.lease
        async with self._db.engine.begin() as connection:
            candidates = list(
                await connection.scalars(
                    sa.select(InboxUpdate.update_id)
                    .where(_abandoned(now, self.lease))
                    .order_by(InboxUpdate.update_id)
                    .limit(limit)
                )
            )
            if not candidates:
                return []
            await connection.execute(
                sa.update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(candidates), _abandoned(now, self.lease))
                .values(claimed_by=self.owner, claimed_until=until)
            )
            won = await connection.execute(
                sa.select(InboxUpdate.update_id, InboxUpdate.payload)
                .where(
                    InboxUpdate.update_id.in_(candidates),
                    InboxUpdate.claimed_by == self.owner,
                    InboxUpdate.claimed_until == until,
                    InboxUpdate.processed_at.is_(None),
                )
                .order_by(InboxUpdate.update_id)
            )
            # Each carries its row's key as its update_id, as a replay does.
            return [{**json.loads(payload), "update_id": key} for key, payload in won]
