"""The durable outbox against real Bot API failures from the emulator (429, 5xx, 403, 400)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
import sqlalchemy as sa
from telegram import Bot, Message

from bot.outbox import Outbox, task_payload, text_payload
from emulator.server import BotApiEmulator
from storage import Database, migrate
from storage.durable import DurableStore, OutboxEntry
from storage.models import OutboxMessage

PATIENT = 5151


class Harness:
    def __init__(self, emulator: BotApiEmulator, store: DurableStore, bot: Bot) -> None:
        self.emulator = emulator
        self.store = store
        self.recorded: list[int] = []
        self.blocked: list[int] = []
        self.outbox = Outbox(bot, store, self._record, self._blocked, retry_delays=(0.05, 0.05))

    async def _record(self, entry: OutboxEntry, sent: Message) -> None:
        await self.store.mark_sent(entry.id, sent.message_id)
        self.recorded.append(sent.message_id)

    async def _blocked(self, chat_id: int) -> None:
        self.blocked.append(chat_id)


@pytest_asyncio.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    await asyncio.to_thread(migrate, url)
    database = Database(url)
    async with BotApiEmulator() as emulator:
        await emulator.add_user(PATIENT, first_name="Asha")
        bot = Bot(emulator.token, base_url=emulator.bot_base_url)
        async with bot:
            yield Harness(emulator, DurableStore(database), bot)
    await database.dispose()


async def test_a_turn_is_recorded_before_it_is_sent_and_sent_once_in_order(
    harness: Harness,
) -> None:
    token = harness.outbox.begin(update_id=77)
    await harness.outbox.send(PATIENT, text_payload("first", None, None))
    await harness.outbox.send(PATIENT, text_payload("second", None, None))
    assert await harness.emulator.bot_messages(PATIENT) == [], "nothing is sent mid-turn"
    buffer = harness.outbox.end(token)
    assert buffer is not None
    await harness.outbox.flush(buffer)
    sent = await harness.emulator.bot_messages(PATIENT)
    assert [m["plain_text"] for m in sent] == ["first", "second"]
    assert await harness.store.has_outgoing(77)
    assert await harness.store.pending_outgoing(77) == []
    # Delivering the turn again (as after a crash) sends nothing more.
    assert await harness.outbox.deliver_pending(77) == 0
    assert len(await harness.emulator.bot_messages(PATIENT)) == 2


async def test_flood_waits_and_server_errors_are_retried_until_sent(harness: Harness) -> None:
    await harness.emulator.fail_next("sendMessage", count=1, status=429, retry_after=1)
    await harness.emulator.fail_next("sendMessage", count=1, status=502)
    await harness.outbox.send(PATIENT, text_payload("after a burst", None, None))
    sent = await harness.emulator.bot_messages(PATIENT)
    assert [m["plain_text"] for m in sent] == ["after a burst"]
    assert len(harness.recorded) == 1
    calls = await harness.emulator.api_calls("sendMessage")
    assert [c["status"] for c in calls][-3:] == [429, 502, 200]


async def test_a_message_that_keeps_failing_stays_pending_for_the_retry_loop(
    harness: Harness,
) -> None:
    await harness.emulator.fail_next("sendMessage", count=3, status=500)
    await harness.outbox.send(PATIENT, text_payload("later", None, None))
    assert await harness.emulator.bot_messages(PATIENT) == []
    pending = await harness.store.pending_outgoing(retrying_only=True)
    assert [entry.payload["text"] for entry in pending] == ["later"]
    assert await harness.outbox.deliver_pending() == 1
    assert [m["plain_text"] for m in await harness.emulator.bot_messages(PATIENT)] == ["later"]
    assert await harness.store.pending_outgoing(retrying_only=True) == []


async def test_a_blocked_patient_is_marked_and_not_retried(harness: Harness) -> None:
    await harness.emulator.set_bot_blocked(PATIENT)
    await harness.outbox.send(PATIENT, text_payload("hello?", None, None))
    assert harness.blocked == [PATIENT]
    assert await harness.store.pending_outgoing() == []
    calls = await harness.emulator.api_calls("sendMessage")
    assert [c["status"] for c in calls] == [403]


async def test_a_request_telegram_rejects_is_not_retried(harness: Harness) -> None:
    await harness.outbox.send(PATIENT, text_payload("<b>broken", None, None))
    calls = await harness.emulator.api_calls("sendMessage")
    assert [c["status"] for c in calls] == [400]
    assert await harness.store.pending_outgoing() == []


async def test_a_follow_up_task_runs_after_the_replies_before_it_and_queues_what_it_says(
    harness: Harness,
) -> None:
    seen_when_run: list[list[str]] = []

    async def receipt(arguments: dict[str, object]) -> None:
        sent = await harness.emulator.bot_messages(PATIENT)
        seen_when_run.append([m["plain_text"] for m in sent])
        await harness.outbox.send(PATIENT, text_payload(f"receipt {arguments['n']}", None, None))

    harness.outbox.register_task("receipt", receipt)
    token = harness.outbox.begin(update_id=90)
    await harness.outbox.send(PATIENT, text_payload("your case is 1042", None, None))
    await harness.outbox.send(PATIENT, task_payload("receipt", {"n": 7}))
    buffer = harness.outbox.end(token)
    assert buffer is not None
    await harness.outbox.flush(buffer)

    assert seen_when_run == [["your case is 1042"]], "the reply went out before the slow work"
    sent = await harness.emulator.bot_messages(PATIENT)
    assert [m["plain_text"] for m in sent] == ["your case is 1042", "receipt 7"]
    assert await harness.store.turn_state(90) == "decided"
    # Replayed after a crash: the task is done and its message sent; nothing runs again.
    assert await harness.outbox.deliver_pending(90) == 0
    assert len(seen_when_run) == 1


async def test_a_failed_task_is_retried_later_and_does_not_hold_back_the_rest(
    harness: Harness,
) -> None:
    calls = 0

    async def flaky(arguments: dict[str, object]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database unreachable")
        await harness.outbox.send(PATIENT, text_payload("done at last", None, None))

    harness.outbox.register_task("flaky", flaky)
    token = harness.outbox.begin(update_id=91)
    await harness.outbox.send(PATIENT, task_payload("flaky", {}))
    await harness.outbox.send(PATIENT, text_payload("meanwhile", None, None))
    buffer = harness.outbox.end(token)
    assert buffer is not None
    await harness.outbox.flush(buffer)
    assert [m["plain_text"] for m in await harness.emulator.bot_messages(PATIENT)] == ["meanwhile"]

    # The retry loop picks up the task that was tried once.
    assert await harness.outbox.deliver_pending() == 1
    sent = [m["plain_text"] for m in await harness.emulator.bot_messages(PATIENT)]
    assert sent == ["meanwhile", "done at last"]
    assert calls == 2
    assert await harness.store.pending_outgoing() == []


async def test_a_task_nobody_handles_is_given_up_not_retried(harness: Harness) -> None:
    await harness.outbox.send(PATIENT, task_payload("unknown", {}))
    assert await harness.store.pending_outgoing() == []


async def test_turn_state_tells_new_decided_and_processed_updates_apart(
    harness: Harness,
) -> None:
    assert await harness.store.turn_state(500) == "new"
    await harness.store.store_update(500, PATIENT, {"update_id": 500})
    assert await harness.store.turn_state(500) == "new"
    await harness.store.add_outgoing(500, [(PATIENT, text_payload("hi", None, None))])
    assert await harness.store.turn_state(500) == "decided"
    await harness.store.mark_processed(500)
    assert await harness.store.turn_state(500) == "processed"
    # A turn that said nothing is processed all the same.
    await harness.store.store_update(501, PATIENT, {"update_id": 501})
    await harness.store.mark_processed(501)
    assert await harness.store.turn_state(501) == "processed"


async def test_an_entry_to_forget_leaves_no_row_once_sent_or_rejected(harness: Harness) -> None:
    """The confirmation of an erasure: delivered, and nothing of it (the chat id) kept."""
    await harness.outbox.send(PATIENT, {**text_payload("erased", None, None), "forget": True})
    await harness.outbox.send(PATIENT, {**text_payload("<b>broken", None, None), "forget": True})
    sent = await harness.emulator.bot_messages(PATIENT)
    assert [m["plain_text"] for m in sent] == ["erased"]
    assert harness.recorded == [], "nothing recorded: no transcript row, no sent row"
    async with harness.store._db.engine.connect() as connection:
        rows = await connection.execute(sa.select(OutboxMessage.id))
        assert rows.all() == []
