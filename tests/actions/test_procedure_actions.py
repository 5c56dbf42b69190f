"""Procedure answers: category first, purpose-dependent procedures, unknown procedures."""

from __future__ import annotations

import pytest

from actions import procedure_actions
from actions.procedure_actions import ActionAnswerProcedure, ActionAnswerPurpose
from actions.procedures import Procedure, PurposeAnswer
from tests.actions.conftest import custom_payloads, nlu_entities, slot_events

BREAST_LIFT = Procedure(
    id="breast_lift",
    name="breast lift",
    category="cosmetic",
    reason="reshapes the breasts for appearance, not to restore a function",
    surgical=True,
    synonyms=("mastopexy", "brest lift"),
)
RHINOPLASTY = Procedure(
    id="rhinoplasty",
    name="rhinoplasty",
    category="depends",
    reason="it depends on the purpose.",
    surgical=True,
    synonyms=("nose job",),
    by_purpose={
        "appearance": PurposeAnswer("cosmetic", "changes the shape of the nose for appearance"),
        "function": PurposeAnswer("reconstructive", "restores breathing or repairs damage."),
    },
    usual="cosmetic",
)
KNOWN = {
    term: procedure
    for procedure in (BREAST_LIFT, RHINOPLASTY)
    for term in (procedure.id, procedure.name.lower(), *procedure.synonyms)
}


@pytest.fixture(autouse=True)
def fake_knowledge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers come from a fixed knowledge, independent of content/procedures.yml."""

    def find(text: str) -> Procedure | None:
        named = [term for term in KNOWN if term in text.lower()]
        return KNOWN[max(named, key=len)] if named else None

    monkeypatch.setattr(procedure_actions, "find_procedure", find)


def procedure_entity(value: str, start: int, end: int) -> list[dict]:
    return [{"entity": "procedure", "value": value, "start": start, "end": end}]


async def test_known_procedure_category_first_then_reason(dispatcher, make_tracker, domain):
    text = "brest lift cosmetic or plastic?"
    tracker = make_tracker(
        text, "ask_procedure_category", entities=procedure_entity("breast_lift", 0, 10)
    )
    events = await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == (
        "**Cosmetic.** Breast lift reshapes the breasts for appearance, not to restore a function."
    )
    assert [b["title"] for b in message["buttons"]] == [
        "Ask another",
        "Second opinion",
        "Talk to a person",
    ]
    assert slot_events(events)["procedure"] == "breast_lift"


async def test_procedure_found_in_text_when_no_entity(dispatcher, make_tracker, domain):
    tracker = make_tracker("is mastopexy cosmetic hai kya", "ask_procedure_category")
    await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("**Cosmetic.**")


async def test_depends_on_purpose_answers_at_once_then_offers_the_purpose(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        "rhinoplasty, which kind is it?",
        "ask_procedure_category",
        entities=procedure_entity("rhinoplasty", 0, 11),
    )
    events = await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == (
        "**Usually cosmetic.** Rhinoplasty mostly changes the shape of the nose for appearance. "
        "It is **reconstructive plastic** surgery when it restores breathing or repairs damage. "
        "Which is it for you?"
    )
    assert [b["payload"] for b in message["buttons"]] == [
        '/inform_purpose{"purpose":"appearance"}',
        '/inform_purpose{"purpose":"function"}',
    ]
    assert slot_events(events)["procedure"] == "rhinoplasty"


async def test_purpose_button_answers_for_remembered_procedure(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        '/inform_purpose{"purpose":"function"}',
        "inform_purpose",
        entities=[{"entity": "purpose", "value": "function"}],
        slots={"procedure": "rhinoplasty"},
    )
    await ActionAnswerPurpose().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"].startswith(
        "Then it is **reconstructive plastic** surgery: it restores breathing or repairs damage."
    )
    assert "would be cosmetic" in message["text"]


async def test_typed_purpose_for_appearance(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "mainly for looks",
        "inform_purpose",
        entities=[{"entity": "purpose", "value": "appearance"}],
        slots={"procedure": "rhinoplasty"},
    )
    await ActionAnswerPurpose().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("Then it is **cosmetic**: it changes")


async def test_purpose_given_with_the_question_answers_at_once(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "nose job for breathing, plastic or cosmetic?",
        "ask_procedure_category",
        entities=[
            *procedure_entity("rhinoplasty", 0, 8),
            {"entity": "purpose", "value": "function"},
        ],
    )
    await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    assert "reconstructive" in dispatcher.messages[0]["text"]


async def test_a_goal_without_a_part_or_procedure_asks_which_part(dispatcher, make_tracker, domain):
    text = "mainly for looks"
    tracker = make_tracker(text, "inform_purpose", entities=nlu_entities(text))
    events = await ActionAnswerPurpose().run(dispatcher, tracker, domain)
    [question] = dispatcher.messages
    assert question["text"] == "Which part of the body would you like to change?"
    assert [b["title"] for b in question["buttons"]] == [
        "Face",
        "Nose",
        "Breasts",
        "Belly / waist",
        "Other",
    ]
    assert slot_events(events)["purpose"] == "appearance"


async def test_a_purpose_button_with_nothing_asked_before_gives_the_seeds_rule(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        '/inform_purpose{"purpose":"function"}',
        "inform_purpose",
        entities=[{"entity": "purpose", "value": "function"}],
    )
    await ActionAnswerPurpose().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("Then it is **reconstructive plastic**")


async def test_unknown_procedure_does_not_guess_and_offers_a_person(
    dispatcher, make_tracker, domain
):
    text = "is the Kessler fold lift plastic or cosmetic?"
    tracker = make_tracker(
        text, "ask_procedure_category", entities=procedure_entity("Kessler fold lift", 7, 24)
    )
    events = await ActionAnswerProcedure().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"].startswith("I don't know that procedure, so I won't guess.")
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert custom_payloads(dispatcher) == []  # no case unless the patient asks for a person
    assert slot_events(events) == {
        "procedure": "Kessler fold lift",
        "handoff_reason": "unknown_procedure",
    }


async def test_ask_another_button_asks_for_a_name(dispatcher, make_tracker, domain):
    tracker = make_tracker("/ask_procedure_category", "ask_procedure_category")
    assert await ActionAnswerProcedure().run(dispatcher, tracker, domain) == []
    assert "Which procedure" in dispatcher.messages[0]["text"]
