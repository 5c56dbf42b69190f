"""The second-opinion form: multi-fill from free text, yes/no answers, the result."""

from __future__ import annotations

from actions.second_opinion import (
    ActionAskDoctorWarned,
    ActionSecondOpinionResult,
    ValidateSecondOpinionForm,
)
from tests.actions.conftest import nlu_entities, slot_events, texts, user_event

CRITERIA = ("unclear_diagnosis", "not_responding", "doctor_warned", "lost_confidence")


def said(make_tracker, text: str, intent: str, **kwargs):
    """A tracker whose latest message carries the entities the NLU readers give it."""
    return make_tracker(text, intent, entities=nlu_entities(text), **kwargs)


async def test_first_message_fills_two_criteria_and_says_them_back(
    dispatcher, make_tracker, domain
):
    text = "my surgeon says the operation is risky and I don't trust him"
    events = await ValidateSecondOpinionForm().run(
        dispatcher, said(make_tracker, text, "inform_criteria"), domain
    )
    slots = slot_events(events)
    assert {k: v for k, v in slots.items() if k in CRITERIA} == {
        "doctor_warned": True,
        "lost_confidence": True,
    }
    assert slots["criteria_words"] == {"doctor_warned": "risky", "lost_confidence": "don't trust"}
    back = [t for t in texts(dispatcher) if t.startswith("You said")]
    assert back == [
        "You said the doctor called it risky and you have lost trust in your doctor or "
        "hospital: those are 2 of the reasons a second opinion helps."
    ]


async def test_a_negated_criterion_is_known_not_met_and_said_back(dispatcher, make_tracker, domain):
    text = "my doctor is great, I trust him, but the tablets have not helped for months"
    events = await ValidateSecondOpinionForm().run(
        dispatcher,
        said(make_tracker, text, "inform_criteria", slots={"requested_slot": "unclear_diagnosis"}),
        domain,
    )
    slots = slot_events(events)
    assert slots["lost_confidence"] is False and slots["not_responding"] is True
    assert "unclear_diagnosis" not in slots  # still unknown: asked next
    assert "You said you trust your doctor, so I won't ask about that." in texts(dispatcher)


async def test_a_criterion_already_met_is_not_said_back_again(dispatcher, make_tracker, domain):
    tracker = said(
        make_tracker,
        "the doctors still can't figure out what it is",
        "inform_criteria",
        slots={"requested_slot": "not_responding", "unclear_diagnosis": True},
    )
    await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert not [t for t in texts(dispatcher) if t.startswith("You said")]


async def test_hinglish_fills(dispatcher, make_tracker, domain):
    tracker = said(
        make_tracker,
        "doctor bola khatarnak hai aur dawai kaam nahi kar rahi",
        "inform_criteria",
        slots={"requested_slot": "unclear_diagnosis"},
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert {k: v for k, v in slots.items() if k in CRITERIA} == {
        "doctor_warned": True,
        "not_responding": True,
    }


async def test_diets_criterion_entities_alone_fill_nothing(dispatcher, make_tracker, domain):
    # The criteria reader reads negation; DIET's tags do not, so they are not used.
    tracker = make_tracker(
        "it is not risky at all",
        "inform_criteria",
        entities=[{"entity": "criterion", "value": "doctor_warned", "extractor": "DIETClassifier"}],
        slots={"requested_slot": "unclear_diagnosis"},
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert "doctor_warned" not in slot_events(events)


async def test_yes_fills_only_the_criterion_asked(dispatcher, make_tracker, domain):
    tracker = make_tracker("haan", "affirm", slots={"requested_slot": "unclear_diagnosis"})
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"unclear_diagnosis": True}


async def test_no_with_free_text_fills_both(dispatcher, make_tracker, domain):
    tracker = said(
        make_tracker,
        "no, but he did say it's rare",
        "deny",
        slots={"requested_slot": "not_responding"},
    )
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert (slots["not_responding"], slots["doctor_warned"]) == (False, True)


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


async def test_criteria_told_before_the_check_are_not_asked(dispatcher, make_tracker, domain):
    told = "the tablets have not helped for months"
    earlier = user_event(told, "inform_criteria", nlu_entities(told))
    tracker = make_tracker("/request_second_opinion", "request_second_opinion", history=[earlier])
    events = await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["not_responding"] is True
    assert (
        "You said the treatment has not helped: that is one of the reasons a second opinion "
        "helps." in texts(dispatcher)
    )
