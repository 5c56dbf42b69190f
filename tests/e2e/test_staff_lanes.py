"""The staff side within Telegram's limits: three staff groups, PTB's rate limiter on, the
emulator answering 429 past 20 messages a minute into a group (and its other limits).

A burst of new cases fills the groups' later lanes; the patients' own replies and receipts do
not wait for it, and a take over, its acknowledgement and a relay overtake it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from bot.content import message
from bot.ratelimit import PRIVATE_PERIOD
from emulator.limits import TELEGRAM_LIMITS
from tests.e2e.conftest import GROUP_TWO_STAFF_ID, start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined, wait_idle

HUMAN = "I want to talk to a human please"


@pytest_asyncio.fixture(scope="module")
async def world3(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    world = await start_world(
        tmp_path_factory.mktemp("lanes"),
        groups=3,
        env={"TELEGRAM_RATE_LIMIT": "on"},
        # Telegram's group and overall limits. Not its one-a-second per private chat: PTB's
        # limiter has none for private chats, and what it does with their 429s (everyone
        # waits) is the outbox's matter, not the staff groups'.
        emulator_options={"flood_limits": replace(TELEGRAM_LIMITS, private_per_second=None)},
    )
    world.wait_for_staff = False
    yield world
    await stop_world(world)


async def _until(check: Callable[[], Awaitable[Any]], timeout: float, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(every)


async def _pending(world: World) -> int:
    return int(await world.runtime.app.bot_data["staff_desk"].lanes.pending_count())  # type: ignore[union-attr]


async def _burst(world: World, count: int, name: str) -> list[Patient]:
    """`count` patients ask for a person at once; returns when every one has been answered."""
    patients = [await world.new_patient(f"{name}{n}", "B") for n in range(count)]
    await asyncio.gather(
        *(world.emulator.send_user_message(p.user_id, HUMAN) for p in patients)
    )
    await world.idle()
    for patient in patients:
        patient.seen = len(await patient.messages())
    return patients


async def _case_of(world: World, patient: Patient) -> Any:
    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None
    return await repository.open_case_for(stored.id)


async def _card_of(world: World, patient: Patient, timeout: float = 90) -> tuple[Any, dict]:
    """The patient's case once its card is shown, and the card."""

    async def shown() -> Any:
        case = await _case_of(world, patient)
        return case if case is not None and case.card_message_id is not None else None

    case = await _until(shown, timeout)
    messages = await world.emulator.bot_messages(case.staff_chat_id, thread_id=case.thread_id)
    cards = [m for m in messages if button_labels(m)]
    assert cards, messages
    return case, cards[0]


async def _group_429s(world: World) -> list[dict[str, Any]]:
    calls = await world.emulator.api_calls()
    groups = {str(chat_id) for chat_id in world.staff_chat_ids}
    return [c for c in calls if c["status"] == 429 and str(c["params"].get("chat_id")) in groups]


async def _through_consent(patient: Patient) -> None:
    """Up to the fifth clause: the next "I agree" completes the consent."""
    await patient.send("I want a second opinion")
    await patient.send("my surgeon says the operation is risky and I don't trust him anymore")
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    await patient.press("Continue")
    for _ in range(4):
        await patient.press("I agree")
    assert "Consent 5 of 5" in joined(patient.history[-2:])


async def test_the_patient_is_not_held_up_by_a_burst_of_announcements(world3: World) -> None:
    consenting = await world3.new_patient("Consent", "Late")
    await _burst(world3, 30, "Rush")
    assert await _pending(world3) > 0, "the burst should still be waiting for the groups"
    await _through_consent(consenting)
    # A person reads the last clause before agreeing; a test that presses at once instead
    # measures the private chat's pacing (bot/ratelimit.py), not the staff groups' lanes.
    await asyncio.sleep(PRIVATE_PERIOD)

    started = time.monotonic()
    done = await consenting.press("I agree")
    receipt_after = time.monotonic() - started
    documents = [r for r in done if r["kind"] == "document"]
    assert len(documents) == 1, joined(done)
    case = await _case_of(world3, consenting)
    backlog = await _pending(world3)
    assert receipt_after <= 5.0, receipt_after
    # The receipt came while the announcements, this patient's own among them, still waited.
    assert backlog > 0 and case.card_message_id is None

    started = time.monotonic()
    answered = await consenting.send("thank you")
    assert answered, "the next reply comes while the case waits for staff"
    assert time.monotonic() - started <= 5.0
    assert await _pending(world3) > 0


async def test_take_over_and_relay_overtake_queued_announcements(world3: World) -> None:
    ravi = world3.staff_ids[0]
    await wait_idle(world3, staff=True, timeout=180)  # the earlier burst is out
    kiran = (await _burst(world3, 1, "Kiran"))[0]
    case, card = await _card_of(world3, kiran)
    group, thread = case.staff_chat_id, case.thread_id
    await _burst(world3, 24, "Wave")
    assert await _pending(world3) > 0

    pressed = time.monotonic()
    query = await world3.emulator.press_button(
        group, card["message_id"], text="Take over", user_id=ravi
    )
    answer = await world3.emulator.wait_for_callback_answer(query, timeout=10)
    assert "has taken over" in (answer.get("text") or "")

    async def acknowledged() -> bool:
        topic = await world3.emulator.bot_messages(group, thread_id=thread)
        return any("has taken over" in m["plain_text"] for m in topic)

    async def patient_told() -> bool:
        return "has joined the conversation" in joined((await kiran.messages())[kiran.seen :])

    await _until(patient_told, timeout=5)
    told_after = time.monotonic() - pressed
    await _until(acknowledged, timeout=5)
    acknowledged_after = time.monotonic() - pressed
    assert told_after <= 5.0 and acknowledged_after <= 5.0
    assert await _pending(world3) > 0, "announcements were still waiting: they were overtaken"
    kiran.seen = len(await kiran.messages())

    before = len(await world3.emulator.bot_messages(group, thread_id=thread))
    sent = time.monotonic()
    assert await kiran.send("is anyone there?") == []

    async def relayed() -> bool:
        topic = await world3.emulator.bot_messages(group, thread_id=thread)
        return any(m["plain_text"] == "is anyone there?" for m in topic[before:])

    await _until(relayed, timeout=3.5)
    assert time.monotonic() - sent <= 3.5
    assert await _pending(world3) > 0


async def test_cases_spread_over_the_groups_all_announced_without_a_429(world3: World) -> None:
    await wait_idle(world3, staff=True, timeout=240)
    desk = world3.runtime.app.bot_data["staff_desk"]  # type: ignore[union-attr]
    open_cases = await desk.lanes.open_cases_by_group(world3.staff_chat_ids)
    assert len(open_cases) == 3 and min(open_cases.values()) >= 15, open_cases
    assert max(open_cases.values()) - min(open_cases.values()) <= 2, open_cases
    for chat_id in world3.staff_chat_ids:
        topics = await world3.emulator.topics(chat_id)
        assert len(topics) >= open_cases[chat_id]
    assert await _group_429s(world3) == []


async def test_staff_act_on_their_own_groups_cases(world3: World) -> None:
    await wait_idle(world3, staff=True, timeout=120)
    patients = await _burst(world3, 3, "Own")
    for patient in patients:
        case, card = await _card_of(world3, patient)
        query = await world3.emulator.press_button(
            case.staff_chat_id, card["message_id"], text="Take over", user_id=GROUP_TWO_STAFF_ID
        )
        answer = await world3.emulator.wait_for_callback_answer(query, timeout=10)
        in_group_two = case.staff_chat_id == world3.staff_chat_ids[1]
        taken = "has taken over" in (answer.get("text") or "")
        assert taken == in_group_two, (case.staff_chat_id, answer)


async def test_erasure_deletes_the_topic_in_the_cases_own_group(world3: World) -> None:
    await wait_idle(world3, staff=True, timeout=120)
    patients = await _burst(world3, 3, "Erase")
    cases = [await _card_of(world3, patient) for patient in patients]
    # One that is not in the first group: thread ids are per group, so the group matters.
    patient, (case, _) = next(
        (p, c) for p, c in zip(patients, cases, strict=True)
        if c[0].staff_chat_id != world3.staff_chat_id
    )
    await patient.send("/delete")
    erased = await patient.press(message("delete_confirm_button"))
    assert joined(erased) == message("delete_done")
    await wait_idle(world3, staff=True, timeout=60)
    topics = await world3.emulator.topics(case.staff_chat_id)
    assert case.thread_id not in [t["message_thread_id"] for t in topics]
    others = [c for p, (c, _) in zip(patients, cases, strict=True) if p is not patient]
    for other in others:
        shown = await world3.emulator.topics(other.staff_chat_id)
        assert other.thread_id in [t["message_thread_id"] for t in shown]
