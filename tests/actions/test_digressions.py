"""Questions inside the forms, practical questions, the emergency check, self-harm, and a
person offered after two misunderstandings in a row."""

from __future__ import annotations

from typing import Any

import pytest

from actions.consent import ValidateConsentForm
from actions.digressions import ActionAnswerPractical, ActionFallback
from actions.safety import ActionCheckEmergency, ActionEmergency
from actions.second_opinion import ValidateSecondOpinionForm
from tests.actions.conftest import MISUNDERSTOOD_SLOT, custom_payloads, slot_events, texts

FORMS = (
    (ValidateSecondOpinionForm, "doctor_warned"),
    (ValidateConsentForm, "consent_2"),
)
# One message of each kind a patient asks in passing, with what its answer must say.
DIGRESSIONS = (
    ("is lipo plastic or cosmetic?", "ask_procedure_category", [
        {"entity": "procedure", "value": "liposuction", "start": 3, "end": 7}
    ], "**Cosmetic.**"),
    ("plastic or cosmetic, what's the difference?", "ask_difference", [], "purpose"),
    ("dark patches on my cheeks, surgery?", "ask_dermatology", [], "dermatologist"),
    ("how much will it cost", "ask_practical", [
        {"entity": "topic", "value": "cost"}
    ], "I can't quote prices"),
    ("/help", "help", [], "Here is what I can do"),
    ("i feel weird after the injection", "feel_unwell", [], "Is this happening right now?"),
)


def all_slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(("form", "asked"), FORMS)
@pytest.mark.parametrize(("text", "intent", "entities", "answer"), DIGRESSIONS)
async def test_a_question_in_a_form_is_answered_and_never_counts_as_an_answer(
    dispatcher, make_tracker, domain, form, asked, text, intent, entities, answer
):
    tracker = make_tracker(text, intent, entities=entities, slots={"requested_slot": asked})
    events = await form().run(dispatcher, tracker, domain)
    assert answer in texts(dispatcher)[0]
    # The asked slot is set to None: the form asks the same question again.
    assert slot_events(events).get(asked, "unset") is None
    assert [p for p in custom_payloads(dispatcher) if p["type"] == "consent_decision"] == []


@pytest.mark.parametrize(("form", "asked"), FORMS)
async def test_answers_inside_a_form_carry_no_buttons_that_leave_it(
    dispatcher, make_tracker, domain, form, asked
):
    tracker = make_tracker(
        "is lipo plastic or cosmetic?",
        "ask_procedure_category",
        entities=[{"entity": "procedure", "value": "liposuction", "start": 3, "end": 7}],
        slots={"requested_slot": asked},
    )
    await form().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["buttons"] == []


@pytest.mark.parametrize(("form", "asked"), FORMS)
async def test_a_second_misunderstanding_in_a_row_offers_a_person(
    dispatcher, make_tracker, domain, form, asked
):
    first = make_tracker("asdfgh", "nlu_fallback", slots={"requested_slot": asked})
    events = await form().run(dispatcher, first, domain)
    turn = all_slot_events(events)[MISUNDERSTOOD_SLOT]
    assert "Talk to a person" not in [b["title"] for b in dispatcher.messages[0]["buttons"]]

    dispatcher.messages.clear()
    history = list(first.events)
    second = make_tracker(
        "qwerty", "nlu_fallback", history=history,
        slots={"requested_slot": asked, MISUNDERSTOOD_SLOT: turn},
    )
    await form().run(dispatcher, second, domain)
    assert texts(dispatcher)[0].startswith("I'm sorry, I keep misunderstanding you.")
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Talk to a person", "payload": "/request_human"}
    ]


async def test_misunderstandings_apart_do_not_offer_a_person(dispatcher, make_tracker, domain):
    history = [
        {"event": "user", "text": "x", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}},
    ]
    tracker = make_tracker(
        "zzz", "nlu_fallback", history=history, slots={MISUNDERSTOOD_SLOT: 1.0}
    )
    await ActionFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("Sorry, I didn't understand that.")


async def test_fallback_twice_in_a_row_offers_a_person(dispatcher, make_tracker, domain):
    history = [{"event": "user", "text": "x", "parse_data": {"intent": {"name": "nlu_fallback"}}}]
    tracker = make_tracker(
        "zzz", "nlu_fallback", history=history, slots={MISUNDERSTOOD_SLOT: 1.0}
    )
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert "pass you to a person" in texts(dispatcher)[0]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_human"
    assert all_slot_events(events)[MISUNDERSTOOD_SLOT] == 2.0


@pytest.mark.parametrize(
    ("topic", "says"),
    [
        ("cost", "I can't quote prices"),
        ("recovery", "recovery time"),
        ("provider", "recommend a hospital or a doctor"),
        ("travel", "travel or visas"),
        ("reports", "reports"),
        (None, "I can't answer that here"),
    ],
)
async def test_practical_questions_say_so_and_offer_a_person(
    dispatcher, make_tracker, domain, topic, says
):
    entities = [{"entity": "topic", "value": topic}] if topic else []
    tracker = make_tracker("how about that", "ask_practical", entities=entities)
    await ActionAnswerPractical().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert says in message["text"]
    assert "don't know that procedure" not in message["text"]
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


async def test_self_harm_gets_its_own_warm_reply_and_an_urgent_case(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        "I don't want to live any more",
        "emergency",
        entities=[{"entity": "red_flag", "value": "self_harm"}],
    )
    await ActionEmergency().run(dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert "14416" in text and "Tele-MANAS" in text and "112" in text
    assert not text.startswith("This may be an emergency.")
    [handoff] = custom_payloads(dispatcher)
    assert (handoff["reason"], handoff["urgency"]) == ("emergency", "urgent")


async def test_check_emergency_asks_with_yes_and_no(dispatcher, make_tracker, domain):
    await ActionCheckEmergency().run(
        dispatcher, make_tracker("i feel odd", "feel_unwell"), domain
    )
    [message] = dispatcher.messages
    assert "Is this happening right now?" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/emergency", "/not_urgent"]
    assert custom_payloads(dispatcher) == []


@pytest.mark.parametrize(("form", "asked"), FORMS)
async def test_a_person_asked_for_inside_a_form_is_called_and_the_form_goes_on(
    dispatcher, make_tracker, domain, form, asked
):
    tracker = make_tracker(
        "can I talk to a human",
        "request_human",
        slots={"requested_slot": asked, "handoff_reason": "unknown_procedure"},
    )
    events = await form().run(dispatcher, tracker, domain)
    assert "passing you to a person" in texts(dispatcher)[0]
    [handoff] = custom_payloads(dispatcher)
    assert (handoff["type"], handoff["reason"]) == ("handoff", "unknown_procedure")
    assert slot_events(events) == {asked: None, "handoff_reason": None}
