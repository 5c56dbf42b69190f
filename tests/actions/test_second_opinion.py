"""The second-opinion form: multi-fill from free text, yes/no answers, the result."""

from __future__ import annotations

from actions.second_opinion import (
    ActionAskDoctorWarned,
    ActionSecondOpinionResult,
    ValidateSecondOpinionForm,
)
from tests.actions.conftest import slot_events, texts

CRITERIA = ("unclear_diagnosis", "not_responding", "doctor_warned", "lost_confidence")


async def test_first_message_fills_two_criteria(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "my surgeon says the operation is risky and I don't trust him", "inform_criteria"
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"doctor_warned": True, "lost_confidence": True}
    assert any("risky" in t and "lost confidence" in t for t in texts(dispatcher))


async def test_criterion_entity_fills_without_keywords(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "mere doctor sahab pe ab yakeen nahi raha",
        "inform_criteria",
        entities=[{"entity": "criterion", "value": "lost_confidence"}],
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"lost_confidence": True}


async def test_hinglish_keywords_fill(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "doctor bola khatarnak hai aur dawai kaam nahi kar rahi",
        "inform_criteria",
        slots={"requested_slot": "unclear_diagnosis"},
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"doctor_warned": True, "not_responding": True}


async def test_yes_fills_only_the_criterion_asked(dispatcher, make_tracker, domain):
    tracker = make_tracker("haan", "affirm", slots={"requested_slot": "unclear_diagnosis"})
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"unclear_diagnosis": True}


async def test_no_with_free_text_fills_both(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "no, but he did say it's rare", "deny", slots={"requested_slot": "not_responding"}
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"not_responding": False, "doctor_warned": True}


async def test_button_payload_text_is_not_searched(dispatcher, make_tracker, domain):
    tracker = make_tracker("/deny", "deny", slots={"requested_slot": "lost_confidence"})
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"lost_confidence": False}


async def test_unrelated_answer_asks_again(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "what's the cricket score", "out_of_scope", slots={"requested_slot": "doctor_warned"}
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"doctor_warned": None}
    assert any("yes or no" in t for t in texts(dispatcher))


async def test_emergency_is_not_absorbed(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "chest pain, it's risky", "emergency", slots={"requested_slot": "doctor_warned"}
    )
    assert await ValidateSecondOpinionForm().run(dispatcher, tracker, domain) == []


async def test_ask_action_uses_the_question_from_criteria_file(dispatcher, make_tracker, domain):
    await ActionAskDoctorWarned().run(dispatcher, make_tracker(), domain)
    [message] = dispatcher.messages
    assert message["text"].startswith("Has your doctor described")
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


async def test_result_names_the_criteria_met_and_leads_to_consent(dispatcher, make_tracker, domain):
    slots = dict.fromkeys(CRITERIA, False) | {"doctor_warned": True, "lost_confidence": True}
    await ActionSecondOpinionResult().run(dispatcher, make_tracker(slots=slots), domain)
    result, consent = dispatcher.messages
    assert "your doctor called it rare, life-threatening or risky" in result["text"]
    assert "you have lost confidence in your provider" in result["text"]
    assert "US specialist" in result["text"]
    assert "consent to telehealth" in consent["text"]
    assert consent["buttons"] == [{"title": "Continue", "payload": "/affirm"}]


async def test_result_with_none_met_still_lets_the_patient_go_on(dispatcher, make_tracker, domain):
    slots = dict.fromkeys(CRITERIA, False)
    await ActionSecondOpinionResult().run(dispatcher, make_tracker(slots=slots), domain)
    [message] = dispatcher.messages
    assert "none of the usual reasons" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/request_human"]
