"""The consent form: clause rendering, decisions, stale buttons, questions, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from actions.consent import ActionAskConsent3, ActionConsentFinish, ValidateConsentForm
from tests.actions.conftest import custom_payloads, slot_events, texts

ROOT = Path(__file__).resolve().parents[2]


def clause_from_file(number: int) -> dict:
    """Read independently of actions.content, so a wrong loader cannot agree with itself."""
    data = yaml.safe_load((ROOT / "content" / "consent.yml").read_text(encoding="utf-8"))
    return next(c for c in data["clauses"] if c["number"] == number)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def test_ask_renders_clause_verbatim_with_numbered_buttons(dispatcher, make_tracker, domain):
    await ActionAskConsent3().run(dispatcher, make_tracker(), domain)
    [message] = dispatcher.messages
    clause = clause_from_file(3)
    assert message["text"].startswith("**Consent 3 of 5:**")
    assert message["text"].endswith(clause["text"])
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ['/affirm{"clause":"3"}', '/deny{"clause":"3"}']
    assert all(len(p.encode()) <= 64 for p in payloads)


async def test_typed_yes_agrees_to_the_clause_asked(dispatcher, make_tracker, domain):
    tracker = make_tracker("haan", "affirm", slots={"requested_slot": "consent_2"})
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_2": True}
    assert custom_payloads(dispatcher) == [
        {
            "type": "consent_decision",
            "clause_id": "telehealth-2",
            "version": 1,
            "text_sha256": sha(clause_from_file(2)["text"]),
                "language": "en",
            "decision": "agreed",
        }
    ]


async def test_button_of_the_current_clause_applies(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        '/affirm{"clause":"4"}',
        "affirm",
        entities=[{"entity": "clause", "value": "4"}],
        slots={"requested_slot": "consent_4"},
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_4": True}
    assert custom_payloads(dispatcher)[0]["clause_id"] == "telehealth-4"


async def test_old_button_of_an_earlier_clause_changes_nothing(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        '/affirm{"clause":"1"}',
        "affirm",
        entities=[{"entity": "clause", "value": "1"}],
        slots={"requested_slot": "consent_3", "consent_1": True, "consent_2": True},
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    # Only the asked slot is re-set to empty (so the form asks clause 3 again).
    assert slot_events(events) == {"consent_3": None}
    assert custom_payloads(dispatcher) == []
    assert "earlier point" in texts(dispatcher)[0]


async def test_old_refusal_button_does_not_refuse(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        '/deny{"clause":"2"}',
        "deny",
        entities=[{"entity": "clause", "value": "2"}],
        slots={"requested_slot": "consent_3"},
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_3": None}
    assert custom_payloads(dispatcher) == []


async def test_unrelated_message_is_not_a_yes(dispatcher, make_tracker, domain):
    for intent in ("greet", "thank", "out_of_scope", "nlu_fallback"):
        dispatcher.messages.clear()
        tracker = make_tracker(
            "ok cool, what about lipo", intent, slots={"requested_slot": "consent_2"}
        )
        events = await ValidateConsentForm().run(dispatcher, tracker, domain)
        assert slot_events(events) == {"consent_2": None}, intent
        assert custom_payloads(dispatcher) == [], intent
        assert "I agree" in texts(dispatcher)[0], intent


async def test_question_gets_the_current_clause_explanation(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "what happens then?", "ask_consent_question", slots={"requested_slot": "consent_2"}
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_2": None}
    assert texts(dispatcher) == [clause_from_file(2)["explanation"]]
    assert custom_payloads(dispatcher) == []


async def test_question_about_another_topic_gets_that_answer(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "will my insurance pay for it?",
        "ask_consent_question",
        slots={"requested_slot": "consent_2"},
    )
    await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [clause_from_file(4)["explanation"]]


async def test_video_question_on_clause_two_is_answered_by_clause_two(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        "what if the video doesn't work?",
        "ask_consent_question",
        slots={"requested_slot": "consent_2"},
    )
    await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [clause_from_file(2)["explanation"]]


async def test_refusal_ends_the_form_and_is_recorded(dispatcher, make_tracker, domain):
    tracker = make_tracker("nahi", "deny", slots={"requested_slot": "consent_3"})
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_3": False, "requested_slot": None}
    [payload] = custom_payloads(dispatcher)
    assert payload["decision"] == "refused"
    assert payload["clause_id"] == "telehealth-3"
    assert payload["text_sha256"] == sha(clause_from_file(3)["text"])


async def test_an_emergency_is_left_to_the_rules(dispatcher, make_tracker, domain):
    tracker = make_tracker("help", "emergency", slots={"requested_slot": "consent_2"})
    assert await ValidateConsentForm().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


async def test_finish_after_all_five_completes_and_hands_off(dispatcher, make_tracker, domain):
    slots = {f"consent_{n}": True for n in range(1, 6)}
    slots.update(doctor_warned=True, lost_confidence=True, unclear_diagnosis=False)
    tracker = make_tracker("/affirm", "affirm", slots=slots)
    events = await ActionConsentFinish().run(dispatcher, tracker, domain)
    completed, handoff = custom_payloads(dispatcher)
    assert completed == {"type": "consent_completed"}
    assert handoff["type"] == "handoff"
    assert handoff["reason"] == "second_opinion"
    assert handoff["urgency"] == "normal"
    assert handoff["summary"]["criteria_met"] == ["doctor_warned", "lost_confidence"]
    assert set(handoff["summary"]) == {
        "asked",
        "criteria_met",
        "criteria_words",
        "language",
        "procedure",
        "body_part",
        "understood",
        "purpose",
    }
    assert not any(char.isdigit() for char in texts(dispatcher)[0])  # no invented case number
    assert all(slot_events(events)[f"consent_{n}"] is None for n in range(1, 6))


async def test_finish_after_refusal_explains_and_offers_a_person(dispatcher, make_tracker, domain):
    slots = {"consent_1": True, "consent_2": False}
    tracker = make_tracker("no", "deny", slots=slots)
    events = await ActionConsentFinish().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "point 2" in message["text"]
    assert "cannot pass your case" in message["text"]
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert custom_payloads(dispatcher) == []  # the refusal record was sent at decision time
    assert slot_events(events)["handoff_reason"] == "consent_refused"


async def test_a_typed_yes_the_model_is_unsure_of_is_not_consent(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "hjkl qwe", "affirm", slots={"requested_slot": "consent_3"}, confidence=0.55
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_3": None}
    assert custom_payloads(dispatcher) == []
