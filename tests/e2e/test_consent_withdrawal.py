"""/withdraw through the emulator (issue 15, point 1 and its bad input).

A patient consents, withdraws one clause after a confirmation, gets a receipt showing it,
the staff topic is told, and the second-opinion handoff waits until they agree again to
that clause (and only that one). Then: /withdraw with nothing agreed, twice, stale
buttons, and during a staff takeover.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.content import message
from storage.consent_texts import load_clauses
from storage.refs import ConsentRef
from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined, texts
from tests.e2e.test_bad_input import forge_press


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A world of its own: these tests open cases and post notices in the staff group,
    whose sending budget (20 a minute, shared by its topics) the session's world keeps
    for the other tests."""
    started = await start_world(tmp_path_factory.mktemp("withdrawal"))
    yield started
    await stop_world(started)


SITUATION = "my surgeon says the operation is risky and honestly I don't trust him anymore"


async def _consent_to_everything(patient: Patient) -> tuple[str, list[dict[str, Any]]]:
    """The second-opinion check and all five clauses agreed; the case reference."""
    await patient.send(SITUATION)
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    await patient.press("Continue")
    done: list[dict[str, Any]] = []
    for number in range(1, 6):
        assert f"Consent {number} of 5" in joined(patient.history[-2:]), texts(patient.history)
        done = await patient.press("I agree")
    handoff = [t for t in texts(done) if "Your case" in t]
    assert handoff, texts(done)
    return handoff[0].split("Your case")[1].split()[0], done


async def _records(world: World, patient: Patient) -> list[ConsentRef]:
    repository = world.runtime.repository
    assert repository is not None
    return await repository.consent_history_by_pseudonym(repository.pseudonym_for(patient.user_id))


async def _topic_texts(world: World, reference: str) -> list[str]:
    topics = await world.emulator.topics(world.staff_chat_id)
    [topic] = [t for t in topics if t["name"].startswith(f"{reference} ·")]
    messages = await world.emulator.bot_messages(
        world.staff_chat_id, thread_id=topic["message_thread_id"]
    )
    return texts(messages)


def _documents(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] == "document"]


async def test_withdraw_one_clause_then_consent_again_before_the_handoff(world: World) -> None:
    patient = await world.new_patient("Nisha", "K")
    reference, _ = await _consent_to_everything(patient)
    clauses = load_clauses()

    offered = await patient.send("/withdraw")
    labels = button_labels(offered[-1])
    assert labels == [*(f"Point {n}" for n in range(1, 6)), "All of them", "Cancel"]
    confirm = await patient.press("Point 2")
    assert "point 2" in joined(confirm) and button_labels(confirm[-1]) == [
        "Yes, withdraw",
        "No, keep my consent",
    ]
    assert len(await _records(world, patient)) == 5, "nothing recorded before the confirmation"

    done = await patient.press("Yes, withdraw")
    said = joined(done)
    assert "withdrawn your consent to point 2" in said and "care team has been told" in said
    receipt = next(t for t in texts(done) if "Telehealth consent receipt" in t)
    clause_2 = receipt.split("Clause 2 (version 1)")[1].split("Clause 3")[0]
    assert clause_2.index("Your answer: Agreed") < clause_2.index("Your answer: Withdrawn")
    assert "/withdraw" in receipt
    [pdf] = _documents(done)
    assert (await world.emulator.file_bytes(pdf["file_id"])).startswith(b"%PDF")

    records = await _records(world, patient)
    assert [r.decision for r in records] == ["agreed"] * 5 + ["withdrawn"]
    withdrawn = records[-1]
    assert (withdrawn.clause_id, withdrawn.version, withdrawn.text_sha256) == (
        clauses[1].id,
        clauses[1].version,
        clauses[1].sha256,
    )
    assert withdrawn.answered_message_id == confirm[-1]["message_id"]
    assert withdrawn.case_id is not None  # the case opened by the handoff
    assert any(
        f"case {reference} withdrew their telehealth consent to point 2" in text
        for text in await _topic_texts(world, reference)
    )

    # A second opinion again: only clause 2 is asked, and no handoff before it is agreed.
    await patient.send("can a US specialist give me a second opinion?")
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    assert "point 2 of the telehealth consent" in joined(patient.history[-2:])
    asked = await patient.press("Continue")
    assert "Consent 2 of 5" in joined(asked) and "Your case" not in joined(asked)
    assert not any(f"Consent {n} of 5" in joined(asked) for n in (1, 3, 4, 5))
    agreed = await patient.press("I agree")
    assert any("Your case" in t for t in texts(agreed)), texts(agreed)
    assert len(_documents(agreed)) == 1, "a new receipt for the new agreement"
    records = await _records(world, patient)
    assert [r.decision for r in records] == ["agreed"] * 5 + ["withdrawn", "agreed"]
    assert records[-1].clause_id == clauses[1].id

    # Everything in force: a later second opinion asks no clause and sends no new receipt.
    await patient.send("I would like a second opinion again please")
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    assert "already agreed to all five points" in joined(patient.history[-2:])
    straight = await patient.press("Continue")
    assert "Consent" not in joined(straight).replace("telehealth consent", "")
    assert any("Your case" in t for t in texts(straight)) and not _documents(straight)
    assert len(await _records(world, patient)) == 7


async def test_nothing_to_withdraw_twice_and_stale_buttons(world: World) -> None:
    patient = await world.new_patient("Ravi", "P")
    nothing = await patient.send("/withdraw")
    assert "not agreed to any point" in joined(nothing) and not button_labels(nothing[-1])
    assert await _records(world, patient) == []

    await _consent_to_everything(patient)
    old_offer = (await patient.send("/withdraw"))[-1]
    offer = (await patient.send("/withdraw"))[-1]
    old_confirm = (await patient.press_on(offer, "Point 4"))[-1]
    # The newest offer again, withdrawing everything.
    offer = (await patient.send("/withdraw"))[-1]
    confirm_all = (await patient.press_on(offer, "All of them"))[-1]
    done = await patient.press("Yes, withdraw")
    assert "points 1, 2, 3, 4 and 5" in joined(done)
    records = await _records(world, patient)
    assert [r.decision for r in records] == ["agreed"] * 5 + ["withdrawn"] * 5

    # Twice: nothing left, nothing recorded.
    twice = await patient.send("/withdraw")
    assert "nothing left to withdraw" in joined(twice) and not button_labels(twice[-1])
    # A button of an older offer, and the confirmation asked before the withdrawal.
    stale = await patient.press_on(old_offer, "Point 3")
    assert "no longer in force" in joined(stale)
    stale = await patient.press_on(old_confirm, "Yes, withdraw")
    assert "no longer in force" in joined(stale)
    # The pressed confirmation has no buttons any more: a replayed press is refused.
    current = {m["message_id"]: m for m in await patient.messages()}
    assert not button_labels(current[confirm_all["message_id"]])
    query = forge_press(
        world, patient.chat_id, confirm_all["message_id"], patient.user_id, "gw:wdy:1.1"
    )
    answer = await world.emulator.wait_for_callback_answer(query, timeout=10)
    assert answer.get("text") == message("stale_button")
    await world.idle()
    assert len(await _records(world, patient)) == 10


async def test_withdraw_while_staff_hold_the_case(world: World) -> None:
    ravi, _ = world.staff_ids
    patient = await world.new_patient("Leela", "M")
    reference, _ = await _consent_to_everything(patient)
    topics = await world.emulator.topics(world.staff_chat_id)
    [topic] = [t for t in topics if t["name"].startswith(f"{reference} ·")]
    thread = topic["message_thread_id"]
    cards = [
        m
        for m in await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread)
        if "Take over" in button_labels(m)
    ]
    query = await world.emulator.press_button(
        world.staff_chat_id, cards[0]["message_id"], text="Take over", user_id=ravi
    )
    await world.emulator.wait_for_callback_answer(query, timeout=10)
    await patient._new_replies()  # "… has joined the conversation"

    offered = await patient.send("/withdraw")
    assert "Point 1" in button_labels(offered[-1])
    await patient.press("Point 1")
    done = await patient.press("Yes, withdraw")
    said = joined(done)
    assert "withdrawn your consent to point 1" in said
    assert "Your case" not in said and "Consent" not in said.replace("consent receipt", "")
    assert len(_documents(done)) == 1
    topic_texts = await _topic_texts(world, reference)
    assert any(
        t.startswith("⚠️ Ravi Care: the patient of case") and "point 1" in t for t in topic_texts
    ), topic_texts
    records = await _records(world, patient)
    assert [r.decision for r in records] == ["agreed"] * 5 + ["withdrawn"]

    # The takeover's silence holds: a message is relayed to the topic, not answered.
    assert await patient.send("thank you") == []
