"""The actions answer in the language the gateway sends with the message: Hindi replies,
procedure names with the English in brackets, criteria said back, consent clauses with their
own Hindi versions and hashes, and the client's English a button away."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from actions import content
from actions.consent import ActionAskConsent2, ValidateConsentForm
from actions.consent_state import stored_agreements
from actions.language import speaking, speaking_in
from actions.second_opinion import ValidateSecondOpinionForm
from tests.actions.conftest import custom_payloads, nlu_entities, texts, user_event
from translation.consent import ClauseTranslation, translated_clauses
from translation.detect import has_devanagari

HINDI = {"language": "hi"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hindi_clause(number: int) -> ClauseTranslation:
    english = next(c for c in content.consent_clauses(language="en") if c.number == number)
    return translated_clauses("hi")[english.id]


async def test_the_action_server_answers_each_call_in_the_language_of_its_message(
    domain: dict[str, Any],
) -> None:
    """Through the SDK's own executor, as the action server runs it."""
    executor = ActionExecutor()
    executor.register_package("actions")
    text = "क्या बोटोक्स कॉस्मेटिक सर्जरी है?"
    for metadata, devanagari in ((HINDI, True), ({}, False)):
        event = user_event(text, "ask_procedure_category", nlu_entities(text), metadata=metadata)
        call = {
            "next_action": "action_answer_procedure",
            "sender_id": "p-1",
            "domain": domain,
            "tracker": {
                "sender_id": "p-1",
                "slots": {},
                "latest_message": event["parse_data"],
                "events": [event],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            },
        }
        answer = await executor.run(call)
        assert answer is not None
        said = " ".join(r.get("text") or "" for r in answer["responses"])
        assert has_devanagari(said) is devanagari, said
        if devanagari:
            assert "(botox)" in said  # the Hindi name, the English in brackets
    assert speaking() == "en"  # nothing leaks to the next call


async def test_criteria_are_said_back_in_hindi(dispatcher, make_tracker, domain) -> None:
    text = "डॉक्टर ने कहा ऑपरेशन रिस्की है और मुझे उन पर भरोसा नहीं है"
    tracker = make_tracker(text, "inform_criteria", entities=nlu_entities(text), metadata=HINDI)
    with speaking_in("hi"):
        await ValidateSecondOpinionForm().run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert said and all(has_devanagari(t) for t in said), said
    assert not any("You said" in t or " and " in t for t in said)


async def test_a_clause_is_shown_in_hindi_with_the_english_original_a_tap_away(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("/start", "request_second_opinion", metadata=HINDI)
    with speaking_in("hi"):
        await ActionAskConsent2().run(dispatcher, tracker, domain)
    (shown,) = dispatcher.messages
    assert hindi_clause(2).text in shown["text"]
    titles = [b["title"] for b in shown["buttons"]]
    payloads = [b["payload"] for b in shown["buttons"]]
    assert payloads[-1] == "gw:clause_en:2"
    assert titles[:2] == ["मैं सहमत हूँ", "मैं सहमत नहीं हूँ"]


async def test_an_english_clause_has_no_english_text_button(dispatcher, make_tracker, domain):
    tracker = make_tracker("/start", "request_second_opinion")
    await ActionAskConsent2().run(dispatcher, tracker, domain)
    (shown,) = dispatcher.messages
    assert [b["payload"] for b in shown["buttons"]] == [
        '/affirm{"clause":"2"}',
        '/deny{"clause":"2"}',
    ]


async def test_a_hindi_agreement_records_the_hindi_text_its_version_and_hash(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("हाँ", "affirm", slots={"requested_slot": "consent_2"}, metadata=HINDI)
    with speaking_in("hi"):
        await ValidateConsentForm().run(dispatcher, tracker, domain)
    clause = hindi_clause(2)
    assert custom_payloads(dispatcher) == [
        {
            "type": "consent_decision",
            "clause_id": "telehealth-2",
            "version": clause.version,
            "text_sha256": sha(clause.text),
            "language": "hi",
            "decision": "agreed",
        }
    ]


def consent_metadata(version: int, language: str) -> dict[str, Any]:
    return {
        "language": "hi",
        "consent": {"agreed": {"telehealth-2": version}, "languages": {"telehealth-2": language}},
    }


def test_an_agreement_to_a_current_text_holds_in_either_language(make_tracker) -> None:
    english_version = next(c.version for c in content.consent_clauses(language="en"))
    for version, language in ((english_version, "en"), (hindi_clause(2).version, "hi")):
        tracker = make_tracker("x", "affirm", metadata=consent_metadata(version, language))
        with speaking_in("hi"):
            stored = stored_agreements(tracker)
        assert stored == {"telehealth-2": hindi_clause(2).version}


def test_a_new_hindi_version_asks_hindi_patients_again(
    make_tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a version change of the English does: the agreement to Hindi version 1 is to
    wording since replaced."""
    current = translated_clauses("hi")
    bumped = dict(current)
    bumped["telehealth-2"] = ClauseTranslation(2, "नया पाठ", "नई व्याख्या", 1)
    monkeypatch.setattr(content, "translated_clauses", lambda language: bumped)
    content._consent_clauses.cache_clear()
    try:
        tracker = make_tracker("x", "affirm", metadata=consent_metadata(1, "hi"))
        with speaking_in("hi"):
            clause = next(c for c in content.consent_clauses() if c.number == 2)
            stored = stored_agreements(tracker)
        assert clause.version == 2 and clause.text == "नया पाठ"
        assert stored == {"telehealth-2": 1}  # an earlier version: asked again, "new wording"
    finally:
        content._consent_clauses.cache_clear()
