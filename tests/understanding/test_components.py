"""The pipeline components on Rasa messages whose DIET reading is set by the test: which
reading wins when the lexicon, the catalog and the cues say otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from understanding.components import ProcedureCatalogExtractor, TriageIntentArbiter
from understanding.readers import CriteriaExtractor, DescriptionExtractor


def parsed(
    text: str,
    intent: str,
    confidence: float = 0.95,
    runner_up: str = "out_of_scope",
    entities: list[dict[str, Any]] | None = None,
    emergency_confidence: float | None = None,
) -> Message:
    """`text` as DIET read it (intent, a runner-up), then through our components."""
    message = Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": intent, "confidence": confidence},
                {"name": runner_up, "confidence": 1 - confidence},
            ],
            "entities": list(entities or []),
        }
    )
    ProcedureCatalogExtractor({"catalog": None}).process([message])
    DescriptionExtractor({"descriptions": None}).process([message])
    CriteriaExtractor({"criteria": None}).process([message])
    arbiter = TriageIntentArbiter(
        {"emergency_confidence": emergency_confidence, "red_flags": None, "cues": None}
    )
    arbiter.process([message])
    return message


def intent_of(message: Message) -> str:
    return message.get("intent")["name"]


def entities_of(message: Message, entity: str) -> list[str]:
    return [e["value"] for e in message.get("entities") if e["entity"] == entity]


def test_a_red_flag_is_an_emergency_whatever_diet_said() -> None:
    message = parsed("I don't want to live any more", "request_human")
    assert intent_of(message) == "emergency"
    assert message.get("intent")["confidence"] == 1.0
    assert entities_of(message, "red_flag") == ["self_harm"]
    assert message.get("intent_ranking")[0]["name"] == "emergency"


def test_diet_alone_asks_instead_of_raising() -> None:
    assert intent_of(parsed("my face feels numb", "emergency", 0.999)) == "feel_unwell"


def test_diet_alone_raises_when_a_threshold_is_set_and_reached() -> None:
    message = parsed("my face feels numb", "emergency", 0.97, emergency_confidence=0.95)
    assert intent_of(message) == "emergency"


def test_diet_emergency_without_any_symptom_word_gives_way() -> None:
    message = parsed("khoobsurti ke liye", "emergency", 0.96, "inform_purpose")
    assert intent_of(message) == "inform_purpose"


def test_diet_emergency_on_a_procedure_question_gives_way() -> None:
    message = parsed("which category does facial contouring fall under", "emergency", 0.99)
    assert intent_of(message) == "ask_procedure_category"
    assert entities_of(message, "procedure") == ["facial_contouring"]


def test_diet_feeling_unwell_on_calm_symptoms_gives_way_too() -> None:
    message = parsed("no bleeding now, just a question", "feel_unwell", 0.9, "inform_criteria")
    assert intent_of(message) == "inform_criteria"


def test_diet_emergency_on_calm_symptoms_gives_way_to_its_next_reading() -> None:
    message = parsed("no bleeding now, just a question", "emergency", 0.99, "inform_criteria")
    assert intent_of(message) == "inform_criteria"


def test_diet_emergency_beside_a_described_part_still_asks() -> None:
    # A description never lowers DIET's emergency guess: "Is this happening right now?"
    message = parsed("my face feels numb and my lips are drooping", "emergency", 0.99)
    assert intent_of(message) == "feel_unwell"


@pytest.mark.parametrize("diet_intent", ["request_second_opinion", "nlu_fallback", "greet"])
def test_a_description_is_a_procedure_question_unless_diet_is_confirmed(
    diet_intent: str,
) -> None:
    message = parsed(
        "lost my right breast to cancer last year, can they make a new one?", diet_intent
    )
    assert intent_of(message) == "ask_procedure_category"
    assert entities_of(message, "procedure") == ["breast_reconstruction"]


@pytest.mark.parametrize(
    "diet_intent",
    ["inform_purpose", "nlu_fallback", "request_second_opinion", "help"],
)
def test_a_named_procedure_makes_a_procedure_question(diet_intent: str) -> None:
    message = parsed("hand surgery after an injury?", diet_intent)
    assert intent_of(message) == "ask_procedure_category"
    assert entities_of(message, "procedure") == ["hand_surgery"]


@pytest.mark.parametrize(
    ("text", "diet_intent"),
    [
        ("I want a second opinion on my rhinoplasty", "request_second_opinion"),
        ("can a person call me about lipo", "request_human"),
        ("my doctor says the rhinoplasty is risky", "inform_criteria"),
    ],
)
def test_a_reading_its_own_words_confirm_carries_the_procedure(text: str, diet_intent: str) -> None:
    message = parsed(text, diet_intent)
    assert intent_of(message) == diet_intent
    assert entities_of(message, "procedure")


def test_a_skin_question_that_names_a_treatment_stays_a_skin_question() -> None:
    message = parsed("chehre pe jhaiyan hai, koi cream ya laser?", "ask_dermatology")
    assert intent_of(message) == "ask_dermatology"
    assert intent_of(parsed("skin rejuvenation karwana?", "ask_dermatology")) == (
        "ask_procedure_category"
    )


def test_sending_reports_for_a_second_opinion_stays_a_second_opinion() -> None:
    message = parsed("can i send my MRI to a doctor abroad for opinion", "request_second_opinion")
    assert intent_of(message) == "request_second_opinion"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("how much does botox cost", "cost"),
        ("recovery time after tummy tuck?", "recovery"),
        ("which hospital should I pick", "provider"),
        ("do I need a visa", "travel"),
        ("how do I send my reports", "reports"),
    ],
)
def test_practical_questions_are_recognised_with_their_topic(text: str, topic: str) -> None:
    for diet_intent in ("ask_procedure_category", "ask_practical"):
        message = parsed(text, diet_intent)
        assert intent_of(message) == "ask_practical"
        assert entities_of(message, "topic") == [topic]


def test_a_category_question_wins_over_a_practical_word() -> None:
    message = parsed("is botox cosmetic and what does it cost", "ask_procedure_category")
    assert intent_of(message) == "ask_procedure_category"


def test_consent_questions_about_fees_stay_consent_questions() -> None:
    assert intent_of(parsed("will I pay extra fees?", "ask_consent_question")) == (
        "ask_consent_question"
    )


def test_catalog_matches_replace_overlapping_diet_procedure_entities() -> None:
    diet = {"entity": "procedure", "value": "face", "start": 5, "end": 9}
    message = parsed("is a face lift cosmetic?", "ask_procedure_category", entities=[diet])
    assert entities_of(message, "procedure") == ["facelift"]


def test_diet_entities_stay_where_the_catalog_finds_nothing() -> None:
    diet = {"entity": "procedure", "value": "kessler fold lift", "start": 7, "end": 24}
    message = parsed(
        "is the Kessler fold lift cosmetic?", "ask_procedure_category", entities=[diet]
    )
    assert entities_of(message, "procedure") == ["kessler fold lift"]


def test_button_payloads_are_left_as_rasa_parsed_them() -> None:
    message = parsed('/affirm{"clause":"2"}', "affirm", 1.0)
    assert intent_of(message) == "affirm"
    assert entities_of(message, "procedure") == []
