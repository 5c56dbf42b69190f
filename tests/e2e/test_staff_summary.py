"""The queue summary is where a case is taken over: before its topic exists, the press makes
the topic and card at once, the patient is told in private, and relays go both ways."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa

import staff.sender
import staff.summary
from storage.models import AuditEvent
from tests.e2e.harness import Patient, World, button_labels, joined, texts

HUMAN = "I want to talk to a human please"


async def _until(check: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.1)


def _take_over_label(record: dict[str, Any], reference: str) -> str | None:
    return next(
        (b for b in button_labels(record) if b.lstrip("🚨 ").startswith(f"Take over {reference}")),
        None,
    )


async def _summary_with(world: World, reference: str) -> dict[str, Any] | None:
    """The group's message (its queue summary) with this case's Take over button."""
    for record in await world.emulator.bot_messages(world.staff_chat_id):
        if _take_over_label(record, reference):
            return record
    return None


async def _topic(world: World, reference: str) -> dict[str, Any] | None:
    topics = await world.emulator.topics(world.staff_chat_id)
    return next((t for t in topics if t["name"].startswith(f"{reference} · ")), None)


async def _hand_over(patient: Patient) -> str:
    replies = await patient.send(HUMAN)
    handoff = [t for t in texts(replies) if "case" in t.lower() and any(c.isdigit() for c in t)]
    assert handoff, texts(replies)
    return next(w.strip(".,;") for w in handoff[0].split() if w.strip(".,;").isdigit())


async def test_a_case_taken_over_from_the_summary_before_its_topic_exists(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ravi, meera = world.staff_ids
    await world.idle()
    # No topic is made in the background while this runs: the take over makes it.
    monkeypatch.setattr(staff.sender, "BULK_HEADROOM", 1000.0)
    world.wait_for_staff = False
    try:
        patient = await world.new_patient("Summa", "Patel")
        reference = await _hand_over(patient)
        summary = await _until(lambda: _summary_with(world, reference), 30)
        label = _take_over_label(summary, reference)
        assert label == f"Take over {reference} · Summa"
        line = next(x for x in summary["plain_text"].splitlines() if x.startswith(reference))
        assert "Summa" in line and "Patel" not in line and "asked for a person" in line
        assert await _topic(world, reference) is None, "the topic is not made before it is needed"

        query = await world.emulator.press_button(
            world.staff_chat_id, summary["message_id"], text=label, user_id=ravi
        )
        answer = await world.emulator.wait_for_callback_answer(query, timeout=10)
        assert answer["text"] == f"Ravi Care has taken over case {reference}."

        async def told() -> bool:
            return "has joined the conversation" in joined(
                (await patient.messages())[patient.seen :]
            )

        await _until(told, 5)
        topic = await _until(lambda: _topic(world, reference), 10)
        thread = topic["message_thread_id"]
        in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread)
        card = in_topic[0]
        assert "held by Ravi Care" in card["plain_text"] and "Summa Patel" in card["plain_text"]
        assert button_labels(card) == ["Hand back to the bot", "Close"]

        # A second press on the summary (as it was) is refused, naming the holder.
        query = await world.emulator.press_button(
            world.staff_chat_id, summary["message_id"], text=label, user_id=meera
        )
        late = await world.emulator.wait_for_callback_answer(query, timeout=10)
        assert late["text"] == f"Case {reference} is already taken by Ravi Care."

        async def summary_updated() -> bool:
            return await _summary_with(world, reference) is None

        await _until(summary_updated, 15)
    finally:
        monkeypatch.undo()
        world.wait_for_staff = True
    await world.idle()
    topics = await world.emulator.topics(world.staff_chat_id)
    assert sum(t["name"].startswith(f"{reference} · ") for t in topics) == 1
    patient.seen = len(await patient.messages())

    # Relays both ways, through the topic made at the take over.
    assert await patient.send("hello, is anyone there?") == []
    in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread)
    assert in_topic[-1]["plain_text"] == "hello, is anyone there?"
    await world.emulator.send_user_message(
        ravi, "Hello, this is Ravi.", chat_id=world.staff_chat_id, thread_id=thread
    )
    await world.idle()
    relayed = (await patient.messages())[patient.seen :]
    assert len(relayed) == 1 and "Hello, this is Ravi." in relayed[0]["plain_text"]

    # Audited as any take over.
    repository = world.runtime.repository
    assert repository is not None
    async with repository.database.session() as session:
        claims = await session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.target == f"case:{int(reference) - 1000}")
        )
        assert "case.claim" in list(claims)


async def test_a_long_summary_turns_its_pages_for_the_group(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ravi = world.staff_ids[0]
    await world.idle()
    monkeypatch.setattr(staff.sender, "BULK_HEADROOM", 1000.0)
    monkeypatch.setattr(staff.summary, "CASE_BUTTONS", 1)  # one case a page
    world.wait_for_staff = False
    try:
        first = await _hand_over(await world.new_patient("Paged", "One"))
        second = await _hand_over(await world.new_patient("Paged", "Two"))

        async def paged() -> dict[str, Any] | None:
            for record in await world.emulator.bot_messages(world.staff_chat_id):
                if "Next page ›" in button_labels(record) and "Page 1 of" in record["plain_text"]:
                    return record
            return None

        summary = await _until(paged, 30)
        assert len([b for b in button_labels(summary) if "Take over" in b]) == 1
        pages = int(summary["plain_text"].split("Page 1 of ")[1].split(";")[0])
        seen = set()
        for page in range(1, pages + 1):
            record = next(
                r
                for r in await world.emulator.bot_messages(world.staff_chat_id)
                if r["message_id"] == summary["message_id"]
            )
            assert f"Page {page} of {pages}" in record["plain_text"]
            seen.update(b for b in button_labels(record) if "Take over" in b)
            if page == pages:
                break
            query = await world.emulator.press_button(
                world.staff_chat_id, summary["message_id"], text="Next page ›", user_id=ravi
            )
            answer = await world.emulator.wait_for_callback_answer(query, timeout=10)
            assert answer["text"] == f"Page {page + 1} of the queue."

            async def turned(page: int = page) -> bool:
                shown = await world.emulator.bot_messages(world.staff_chat_id)
                now = next(r for r in shown if r["message_id"] == summary["message_id"])
                return f"Page {page + 1} of {pages}" in now["plain_text"]

            await _until(turned, 10)
        assert any(first in b for b in seen) and any(second in b for b in seen)
    finally:
        monkeypatch.undo()
        world.wait_for_staff = True
    await world.idle()
