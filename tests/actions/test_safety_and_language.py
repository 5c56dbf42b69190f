"""Emergency, a request for a person, the handoff summary and the language guess."""

from __future__ import annotations

from actions.language import guess_language
from actions.safety import ActionEmergency, ActionRequestHuman
from tests.actions.conftest import custom_payloads, slot_events, texts, user_event


async def test_emergency_guidance_and_urgent_case(dispatcher, make_tracker, domain):
    tracker = make_tracker("my throat is closing up after the injection", "emergency")
    await ActionEmergency().run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("This may be an emergency. Call **112**")
    assert "108" in texts(dispatcher)[0]
    [handoff] = custom_payloads(dispatcher)
    assert handoff["type"] == "handoff"
    assert (handoff["reason"], handoff["urgency"]) == ("emergency", "urgent")
    assert handoff["summary"]["asked"] == "my throat is closing up after the injection"


async def test_request_human_hands_off(dispatcher, make_tracker, domain):
    history = [user_event("lipo cosmetic hai kya", "ask_procedure_category")]
    tracker = make_tracker(
        "talk to a human", "request_human", history=history, slots={"procedure": "liposuction"}
    )
    await ActionRequestHuman().run(dispatcher, tracker, domain)
    [handoff] = custom_payloads(dispatcher)
    assert handoff["reason"] == "human_request"
    assert handoff["urgency"] == "normal"
    assert handoff["summary"] == {
        "asked": "lipo cosmetic hai kya",
        "criteria_met": [],
        "criteria_words": {},
        "language": "hinglish",
        "procedure": "liposuction",
        "body_part": None,
        "purpose": None,
        "understood": None,
    }
    assert texts(dispatcher)


async def test_person_after_unknown_procedure_carries_that_reason(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "/request_human", "request_human", slots={"handoff_reason": "unknown_procedure"}
    )
    events = await ActionRequestHuman().run(dispatcher, tracker, domain)
    assert custom_payloads(dispatcher)[0]["reason"] == "unknown_procedure"
    assert slot_events(events) == {"handoff_reason": None}


def test_language_guess() -> None:
    assert guess_language(["is rhinoplasty cosmetic?"]) == "en"
    assert guess_language(["hello", "mera doctor bola ye rare hai"]) == "hinglish"
    assert guess_language(["नमस्ते", "ok"]) == "hi"
    assert guess_language(["haan"]) == "en"  # one word is not enough to call it Hinglish
    assert guess_language([]) == "en"


async def test_second_opinion_handoff_summarises_the_request_not_a_consent_question(
    dispatcher, make_tracker, domain
):
    from actions.consent import ActionConsentFinish

    history = [
        user_event("can a specialist in America look at my reports?", "request_second_opinion"),
        user_event("mera doctor bola ye rare hai", "inform_criteria"),
        user_event("what if the video doesn't work?", "ask_consent_question"),
    ]
    slots = {f"consent_{n}": True for n in range(1, 6)} | {"doctor_warned": True}
    tracker = make_tracker("haan", "affirm", history=history, slots=slots)
    await ActionConsentFinish().run(dispatcher, tracker, domain)
    handoff = custom_payloads(dispatcher)[-1]
    assert handoff["summary"]["asked"] == "mera doctor bola ye rare hai"
    assert handoff["summary"]["language"] == "hinglish"
