"""Inbox claims (storage/claims.py): a stored update is its worker's while the worker renews
its lease; once the lease runs out one other worker, and only one, takes it over."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from storage import Database
from storage.claims import CLAIM_LEASE, InboxClaims
from storage.durable import DurableStore

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
PATIENT = 5151


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"text": "planted", "chat": {"id": PATIENT}}}


async def test_a_live_workers_updates_stay_its_own_and_a_dead_ones_are_taken(db: Database) -> None:
    clock = Clock()
    dead = DurableStore(db, clock=clock, owner="worker-a")
    dead_claims = InboxClaims(db, "worker-a", clock=clock)
    live = InboxClaims(db, "worker-b", clock=clock)
    await dead.store_update(1, PATIENT, update(1))
    await dead.store_update(2, PATIENT, update(2))
    clock.advance(10)
    assert await live.claim_abandoned() == [], "within its lease"
    assert await dead_claims.renew() == 2
    clock.advance(CLAIM_LEASE.total_seconds() - 1)
    assert await live.claim_abandoned() == [], "renewed: still worker-a's"
    await dead.mark_processed(1)
    # worker-a is killed here: nothing renews its lease any more.
    clock.advance(2)
    taken = await live.claim_abandoned()
    assert [u["update_id"] for u in taken] == [2], "the processed one is never taken"
    assert taken[0]["message"]["text"] == "planted"
    assert await live.claim_abandoned() == [], "taken once"
    assert await dead_claims.renew() == 0, "a worker back from a pause renews nothing it lost"
    clock.advance(CLAIM_LEASE.total_seconds() - 1)
    assert await live.renew() == 1
    clock.advance(2)
    assert await InboxClaims(db, "worker-c", clock=clock).claim_abandoned() == []


async def test_an_update_stored_without_an_owner_is_free_after_one_lease(db: Database) -> None:
    clock = Clock()
    await DurableStore(db, clock=clock).store_update(7, PATIENT, update(7))
    claims = InboxClaims(db, "worker-b", clock=clock)
    clock.advance(CLAIM_LEASE.total_seconds() - 1)
    assert await claims.claim_abandoned() == []
    clock.advance(2)
    assert [u["update_id"] for u in await claims.claim_abandoned()] == [7]


async def test_two_live_workers_sweeping_at_once_take_each_update_once(
    migrated_url: str,
) -> None:
    clock = Clock()
    databases = [Database(migrated_url) for _ in range(3)]
    try:
        dead = DurableStore(databases[0], clock=clock, owner="worker-a")
        for update_id in range(1, 41):
            await dead.store_update(update_id, PATIENT + update_id, update(update_id))
        clock.advance(CLAIM_LEASE.total_seconds() + 1)
        sweepers = [InboxClaims(db, f"worker-{n}", clock=clock) for n, db in enumerate(databases)]
        taken: list[int] = []
        for _ in range(20):
            rounds = await asyncio.gather(*(s.claim_abandoned(limit=7) for s in sweepers))
            taken += [u["update_id"] for found in rounds for u in found]
        # Every update went to exactly one sweeper.
        assert sorted(taken) == list(range(1, 41))
    finally:
        for database in databases:
            await database.dispose()


async def test_adopting_at_start_makes_the_replayed_updates_this_workers(db: Database) -> None:
    clock = Clock()
    await DurableStore(db, clock=clock, owner="worker-old").store_update(3, PATIENT, update(3))
    clock.advance(CLAIM_LEASE.total_seconds() + 1)
    restarted = InboxClaims(db, "worker-new", clock=clock)
    assert await restarted.adopt_unprocessed() == 1
    assert await InboxClaims(db, "worker-b", clock=clock).claim_abandoned() == []
    assert await restarted.renew() == 1
