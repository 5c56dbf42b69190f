"""How patients really write, end to end through the Bot API emulator: catalog procedures
in any form, purpose-dependent answers, red flags in every state (self-harm included),
questions inside both forms, practical questions and repeated misunderstandings."""

from __future__ import annotations

import pytest

from storage.repository import CaseRef
from tests.e2e.harness import Patient, World, button_labels, joined, texts

CRITERIA_BUTTONS = {"Yes", "No"}
CONSENT_BUTTONS = {"I agree", "I do not agree"}


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("is a face lift plastic or cosmetic?", "Cosmetic."),
        ("FACE-LIFT cosmetic hai kya 🤔", "Cosmetic."),
        ("hand surgery after an injury, which kind is it?", "Reconstructive plastic surgery."),
        ("repairing a congenital defect for my daughter, plastic?", "Reconstructive plastic"),
        ("which category does facial contouring fall under", "Cosmetic."),
        ("scar revision?", "Reconstructive plastic surgery."),
        ("liposuctoin?", "Cosmetic."),
        ("बोटॉक्स कॉस्मेटिक है या प्लास्टिक?", "कॉस्मेटिक।"),  # answered in Hindi (issue 22)
    ],
)
async def test_catalog_procedures_are_answered_with_their_category(
    world: World, question: str, lead: str
) -> None:
    patient = await world.new_patient("Catalog", "Q")
    answer = joined(await patient.send(question))
    assert answer.startswith(lead), answer
    assert "may be an emergency" not in answer and "don't know that procedure" not in answer


async def test_a_purpose_dependent_procedure_is_answered_at_once(world: World) -> None:
    patient = await world.new_patient("Tummy", "T")
    replies = await patient.send("tummy tuck?")
    answer = joined(replies)
    assert answer.startswith("Usually cosmetic."), answer
    assert "**" not in answer and "reconstructive plastic" in answer
    assert set(button_labels(replies[-1])) == {"Appearance", "Breathing / function / injury"}
    then = joined(await patient.press("Breathing / function / injury"))
    assert then.startswith("Then it is reconstructive plastic surgery"), then


async def test_self_harm_gets_the_helpline_and_an_urgent_case(world: World) -> None:
    patient = await world.new_patient("Quiet", "Voice")
    answer = joined(await patient.send("I don't want to live any more"))
    assert "14416" in answer and "Tele-MANAS" in answer and "112" in answer
    await world.idle()
    topics = await world.emulator.topics(world.staff_chat_id)
    assert any("Quiet Voice" in t["name"] for t in topics)
    case = await _open_case(world, patient)
    assert case.urgency == "urgent" and case.reason == "emergency"


async def test_no_false_alarm_on_a_procedure_with_a_body_part(world: World) -> None:
    patient = await world.new_patient("Chest", "Lipo")
    answer = joined(await patient.send("is chest liposuction cosmetic?"))
    assert answer.startswith("Cosmetic."), answer
    assert await _open_case(world, patient) is None


async def test_questions_inside_the_second_opinion_check(world: World) -> None:
    patient = await world.new_patient("Form", "One")
    await patient.send("I want a second opinion")
    asked = patient.history[-1]
    assert set(button_labels(asked)) >= CRITERIA_BUTTONS
    question = asked["plain_text"]

    for digression, says in (
        ("is liposuction plastic or cosmetic?", "Cosmetic."),
        ("how much does the second opinion cost?", "I can't quote prices"),
        ("what's the difference between plastic and cosmetic surgery?", "purpose"),
        ("/help", "Here is what I can do"),
    ):
        replies = await patient.send(digression)
        assert says in joined(replies), (digression, texts(replies))
        assert "didn't get that" not in joined(replies)
        assert replies[-1]["plain_text"] == question, "the same question is asked again"
        assert set(button_labels(replies[-1])) >= CRITERIA_BUTTONS

    # The digressions answered nothing: the first criterion is still the one asked.
    replies = await patient.send("my throat is closing up after the filler")
    assert joined(replies).startswith("This may be an emergency.")
    case = await _open_case(world, patient)
    assert case is not None and case.urgency == "urgent"


async def test_questions_inside_consent_never_count_as_agreement(world: World) -> None:
    patient = await world.new_patient("Form", "Two")
    await patient.send("I want a second opinion")
    for _ in range(4):
        await patient.press("No")
    await patient.press("Continue anyway")
    clause = patient.history[-1]
    assert "Consent 1 of 5" in clause["plain_text"]

    for digression, says in (
        ("rhinoplasty, which kind is it?", "Usually cosmetic."),
        ("I have dark patches, do I need surgery?", "without surgery"),
        ("which hospital will do it?", "recommend a hospital"),
        ("/help", "Here is what I can do"),
        ("lipo?", "Cosmetic."),
    ):
        replies = await patient.send(digression)
        assert says in joined(replies), (digression, texts(replies))
        assert "Consent 1 of 5" in replies[-1]["plain_text"]
        assert set(button_labels(replies[-1])) >= CONSENT_BUTTONS

    stored = await world.runtime.repository.get_patient(patient.user_id)  # type: ignore[union-attr]
    assert stored is not None
    assert await world.runtime.repository.consent_history(stored.id) == []  # type: ignore[union-attr]
    nxt = joined(await patient.press("I agree"))
    assert "Consent 2 of 5" in nxt


async def test_a_person_asked_for_during_consent_is_called_and_consent_goes_on(
    world: World,
) -> None:
    patient = await world.new_patient("Wants", "Person")
    await patient.send("I want a second opinion")
    for _ in range(4):
        await patient.press("No")
    await patient.press("Continue anyway")
    await patient.press("I agree")
    assert "Consent 2 of 5" in patient.history[-1]["plain_text"]

    replies = await patient.send("can I talk to a real person please")
    said = joined(replies)
    assert "passing you to a person" in said and "Your case" in said
    assert "Consent 2 of 5" in replies[-1]["plain_text"]
    await world.idle()
    case = await _open_case(world, patient)
    assert case is not None and case.reason == "human_request"
    assert "Consent 3 of 5" in joined(await patient.press("I agree"))


async def test_two_misunderstandings_in_a_row_offer_a_person(world: World) -> None:
    patient = await world.new_patient("Mixed", "Up")
    await patient.send("I want a second opinion")
    first = await patient.send("purple monkey dishwasher")
    assert "Please tap Yes or No" in joined(first)
    second = await patient.send("banana telephone")
    assert "keep misunderstanding" in joined(second)
    assert "Talk to a person" in [label for r in second for label in button_labels(r)]


async def test_a_red_flag_at_the_end_of_a_very_long_message(world: World) -> None:
    patient = await world.new_patient("Long", "Story")
    story = "Let me tell you how my week went at work and at home. " * 80
    assert len(story) > 4096
    replies = await patient.send(f"{story}and now I suddenly can't breathe")
    assert "This may be an emergency." in joined(replies)


async def test_a_red_flag_while_staff_hold_the_case_marks_it_urgent(world: World) -> None:
    patient = await world.new_patient("Held", "Case")
    await patient.send("talk to a human please")
    await world.idle()
    case = await _open_case(world, patient)
    assert case is not None and case.urgency == "normal" and case.thread_id is not None
    in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=case.thread_id)
    card = next(m for m in in_topic if button_labels(m))
    await world.emulator.press_button(
        world.staff_chat_id, card["message_id"], text="Take over", user_id=world.staff_ids[0]
    )
    await world.idle()
    patient.seen = len(await patient.messages())
    answer = joined(await patient.send("mujhe ab jeena nahi hai"))
    assert "14416" in answer
    await world.idle()
    in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=case.thread_id)
    assert any("may be describing an emergency" in m["plain_text"] for m in in_topic)
    assert any("URGENT" in m["plain_text"] for m in in_topic)
    case = await _open_case(world, patient)
    assert case is not None and case.urgency == "urgent"


async def _open_case(world: World, patient: Patient) -> CaseRef | None:
    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    return await repository.open_case_for(stored.id) if stored else None
