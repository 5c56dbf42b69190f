"""Bounded dedup and retention of the durable inbox, with a controlled clock (no sleeping).

Telegram sends an undelivered update again for 24 hours at most, and after a week without
updates numbers the next one at random: only a recent row makes an update a repeat. Raw
updates (names, texts) are deleted INBOX_RETENTION_DAYS after they were processed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

import storage.inbox_store as inbox_store
from bot.config import ConfigError, load_settings
from bot.inbox import DurableUpdateQueue
from storage import Database
from storage.durable import REPEAT_WINDOW, DurableStore

START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
WEEK = timedelta(days=7)
PATIENT = 4242
STAFF_GROUP = -100_777


class Clock:
    """The store's idea of now, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> DurableStore:
    return DurableStore(db, clock=clock)


def update(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"text": text, "chat": {"id": PATIENT}}}


def reply(text: str) -> tuple[int, dict[str, Any]]:
    return PATIENT, {"kind": "message", "text": text}


async def answer(store: DurableStore, update_id: int, text: str) -> None:
    """One whole turn: stored, its reply recorded and sent, the update marked processed."""
    assert await store.store_update(update_id, PATIENT, update(update_id, text))
    (entry,) = await store.add_outgoing(update_id, [reply(f"re: {text}")])
    await store.mark_sent(entry.id, 1)
    await store.mark_processed(update_id)


async def test_a_repeat_within_the_window_is_dropped(store: DurableStore, clock: Clock) -> None:
    assert await store.store_update(100, PATIENT, update(100, "hello"))
    clock.advance(hours=24)  # Telegram's longest wait, and then some
    assert not await store.store_update(100, PATIENT, update(100, "hello"))
    clock.advance(seconds=REPEAT_WINDOW.total_seconds() - 24 * 3600 - 1)
    assert not await store.store_update(100, PATIENT, update(100, "hello"))
    assert await store.unprocessed_updates() == [update(100, "hello")]


async def test_an_old_update_id_again_is_a_new_update(store: DurableStore, clock: Clock) -> None:
    """A week without updates, then Telegram numbers from a random id that we stored once."""
    await answer(store, 100, "last week")
    clock.advance(days=8)
    assert await store.store_update(100, PATIENT, update(100, "today"))
    # The new update is not taken for the old one: its turn runs, and its replies fit.
    assert await store.turn_state(100) == "new"
    assert await store.unprocessed_updates() == [update(100, "today")]
    (entry,) = await store.add_outgoing(100, [reply("re: today")])
    assert entry.update_id == 100 and entry.seq == 0
    await store.mark_sent(entry.id, 2)
    await store.mark_processed(100)
    assert await store.turn_state(100) == "processed"
    # ...and a repeat of the new one is still a repeat.
    clock.advance(hours=1)
    assert not await store.store_update(100, PATIENT, update(100, "today"))


async def test_an_unprocessed_old_update_is_kept_for_the_replay(
    store: DurableStore, clock: Clock
) -> None:
    """The old row still owes the patient a turn (it failed and waits for the next start)."""
    assert await store.store_update(200, PATIENT, update(200, "my knee hurts"))
    (owed,) = await store.add_outgoing(200, [reply("we are on it")])
    clock.advance(days=9)
    assert await store.store_update(200, PATIENT, update(200, "new message"))
    replay = await store.unprocessed_updates()
    # The old one runs first, under a key Telegram never uses, its turn found there.
    assert [data["message"]["text"] for data in replay] == ["my knee hurts", "new message"]
    archived = replay[0]["update_id"]
    assert archived < 0 and replay[1]["update_id"] == 200
    assert await store.turn_state(archived) == "decided"
    assert [e.id for e in await store.pending_outgoing(archived)] == [owed.id]
    assert await store.turn_state(200) == "new"
    assert await store.pending_outgoing(200) == []
    # A second reuse (another random restart) gets another archive key.
    await store.mark_processed(200)
    clock.advance(days=9)
    assert await store.store_update(200, PATIENT, update(200, "third"))
    assert [data["update_id"] for data in await store.unprocessed_updates()] == [archived, 200]
    assert await store.turn_state(archived - 1) == "processed", "the second one moved aside"


async def test_two_workers_storing_the_same_new_update_keep_it_once(
    store: DurableStore, db: Database, clock: Clock
) -> None:
    await answer(store, 300, "old")
    clock.advance(days=10)
    other_worker = DurableStore(db, clock=clock)
    results = await asyncio.gather(
        store.store_update(300, PATIENT, update(300, "new")),
        other_worker.store_update(300, PATIENT, update(300, "new")),
    )
    assert sorted(results) == [False, True]
    assert await store.unprocessed_updates() == [update(300, "new")]


async def test_a_reused_id_never_taken_for_a_repeat_when_it_cannot_be_stored(
    store: DurableStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archive keys taken every time (a pathological race): raise, so Telegram resends."""
    await answer(store, 800, "old")
    clock.advance(days=10)

    async def always_taken(_row: dict[str, Any]) -> bool:
        raise IntegrityError("UPDATE inbox_updates", {}, Exception("duplicate key"))

    monkeypatch.setattr(store, "_store_over_old", always_taken)
    with pytest.raises(IntegrityError):
        await store.store_update(800, PATIENT, update(800, "new"))


async def test_processed_updates_are_pruned_after_retention_and_unprocessed_never(
    store: DurableStore, clock: Clock
) -> None:
    await answer(store, 1, "a week and an hour ago")
    assert await store.store_update(2, PATIENT, update(2, "never processed"))
    clock.advance(days=1)
    await answer(store, 3, "six days and an hour ago")
    clock.advance(days=6, hours=1)
    assert await store.prune_processed(WEEK) == 1
    assert await store.turn_state(1) == "new", "its row and its link to the replies are gone"
    assert await store.turn_state(3) == "processed"
    clock.advance(days=30)
    assert await store.prune_processed(WEEK) == 1
    assert await store.prune_processed(WEEK) == 0
    assert await store.unprocessed_updates() == [update(2, "never processed")]


async def test_a_pruned_update_id_that_comes_back_is_answered(
    store: DurableStore, clock: Clock
) -> None:
    """Pruned, its replies stay in the outbox but no longer answer for a new update."""
    await answer(store, 400, "old")
    clock.advance(days=8)
    await store.prune_processed(WEEK)
    assert await store.store_update(400, PATIENT, update(400, "new"))
    assert await store.turn_state(400) == "new"
    (entry,) = await store.add_outgoing(400, [reply("re: new")])
    assert entry.seq == 0


async def test_a_retry_of_a_pruned_update_is_still_delivered(
    store: DurableStore, clock: Clock
) -> None:
    assert await store.store_update(500, PATIENT, update(500, "hi"))
    (entry,) = await store.add_outgoing(500, [reply("re: hi")])
    await store.mark_attempt(entry.id, "TimedOut", failed=False)
    await store.mark_processed(500)
    clock.advance(days=8)
    await store.prune_processed(WEEK)
    (waiting,) = await store.pending_outgoing(retrying_only=True)
    assert waiting.id == entry.id and waiting.update_id is None


async def test_pruning_goes_in_batches(
    store: DurableStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_store, "PRUNE_BATCH", 2)
    for update_id in range(10, 15):
        await answer(store, update_id, "hi")
    clock.advance(days=8)
    assert await store.prune_processed(WEEK) == 5
    assert await store.prune_processed(WEEK) == 0


async def test_erasing_a_patient_unlinks_what_their_updates_sent_others(
    store: DurableStore, clock: Clock
) -> None:
    assert await store.store_update(600, PATIENT, update(600, "talk to a person"))
    await store.add_outgoing(600, [reply("ok"), (STAFF_GROUP, {"kind": "message", "text": "case"})])
    await store.mark_processed(600)
    await store.erase_chat(PATIENT)
    clock.advance(days=8)
    assert await store.store_update(600, PATIENT, update(600, "a new update"))
    assert await store.turn_state(600) == "new"


async def test_the_inbox_prunes_at_start_and_keeps_going_after_a_failure(
    store: DurableStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await answer(store, 700, "old")
    clock.advance(days=8)
    queue = DurableUpdateQueue(store)
    queue.start_pruning(WEEK, interval=0.01)
    for _ in range(200):
        if await store.turn_state(700) == "new":
            break
        await asyncio.sleep(0.01)
    assert await store.turn_state(700) == "new", "the first pass runs at start"
    calls = []

    async def broken(retention: timedelta) -> int:
        calls.append(retention)
        raise ConnectionError("database gone")

    monkeypatch.setattr(store, "prune_processed", broken)
    for _ in range(200):
        if len(calls) >= 2:
            break
        await asyncio.sleep(0.01)
    assert len(calls) >= 2, "a failed pass does not stop the loop"
    await queue.stop_pruning()


def test_inbox_retention_days_is_a_whole_number_of_at_least_two() -> None:
    assert load_settings({}).inbox_retention_days == 7
    assert load_settings({"INBOX_RETENTION_DAYS": "30"}).inbox_retention_days == 30
    for bad in ("1", "0", "-3", "seven", "2.5"):
        with pytest.raises(ConfigError) as raised:
            load_settings({"INBOX_RETENTION_DAYS": bad})
        assert raised.value.variable == "INBOX_RETENTION_DAYS"
