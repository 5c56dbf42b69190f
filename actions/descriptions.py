"""Answers to a description instead of a name (the reading of understanding/descriptions.py,
tagged by the NLU's `DescriptionExtractor`): what was understood, then the category by the
seeds' rule; the part's "usually ..." when no purpose was said; one short question with
buttons when neither the part nor the purpose is clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import speaking
from actions.procedure_answers import answer_procedure, phrase
from actions.replies import render, say
from actions.wording import cause_said, part_words, plain_name, procedure_in

if TYPE_CHECKING:
    from actions.procedures import Procedure
    from understanding.descriptions import DescriptionReader, Part

DESCRIPTION_EXTRACTOR = "DescriptionExtractor"
# The which-part question's "Other" button.
OTHER_PART = "other"


def _reader() -> DescriptionReader:
    """The description reader, built on first use (no loading at import time)."""
    from understanding.descriptions import description_reader

    return description_reader()


def _procedures() -> dict[str, Procedure]:
    from actions.procedures import load_procedures

    return load_procedures()


@dataclass(frozen=True)
class Described:
    """What the latest message describes, from its entities."""

    procedure: str | None
    part: str | None
    cause: str | None
    purpose: str | None
    # Only "something is wrong with" the part was said: its purpose is asked.
    unclear: bool = False

    @property
    def found(self) -> bool:
        return bool(self.procedure or self.part or self.cause or self.purpose)


def described_in(tracker: Tracker) -> Described:
    """The description's reading; a button's `body_part` counts as a part named."""
    values: dict[str, str] = {}
    unclear = False
    for found in tracker.latest_message.get("entities", []):
        kind = str(found.get("entity"))
        from_reader = found.get("extractor") == DESCRIPTION_EXTRACTOR
        if kind == "body_part" or (from_reader and kind in ("procedure", "cause", "purpose")):
            values.setdefault(kind, str(found.get("value")))
            unclear = unclear or bool(found.get("unclear"))
        elif from_reader and kind == "description":
            unclear = True
    return Described(
        values.get("procedure"),
        values.get("body_part"),
        values.get("cause"),
        values.get("purpose"),
        unclear,
    )


def answer_description(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    described: Described,
    buttons: bool = True,
) -> list[EventType] | None:
    """Answer what the message describes; None when it describes nothing to answer from."""
    purpose = described.purpose
    part = described.part
    if part == OTHER_PART:
        # "Other" on the which-part question: the category of the purpose said before.
        purpose = purpose or tracker.get_slot("purpose")
        if purpose is None:
            return None
        say(dispatcher, f"purpose_general_{_category_of(purpose)}", buttons=buttons)
        return _remember(None, None, purpose, None)
    procedure = described.procedure
    if described.unclear and part and not procedure and not purpose:
        return ask_which_purpose(dispatcher, part)
    if part and not procedure:
        # A part pressed on the which-part question, or named with a purpose only the
        # part's own words answer: the rules read it again with the purpose said before.
        purpose = purpose or tracker.get_slot("purpose")
        procedure = _procedure_for(part, purpose)
    if procedure:
        understood = answer_described_procedure(
            dispatcher, _procedures()[procedure], purpose, described.cause, buttons
        )
        return _remember(procedure, None, purpose, understood)
    if part:
        known = _reader().parts[part]
        if purpose is None:
            words = part_words(part)
            say(
                dispatcher,
                f"part_depends_{known.usual}",
                part=words["label"],
                looks=words["looks"],
                repair=words["repair"],
            )
            return _remember(None, part, None, _part_understood(part, None, None, "en"))
        understood = answer_part(dispatcher, known, purpose, described.cause, buttons)
        return _remember(None, part, purpose, understood)
    if described.cause:
        say(dispatcher, "described_cause", buttons=buttons, said=cause_said(described.cause))
        english = render("described_repair", "en", said=cause_said(described.cause, "en"))[0]
        return _remember(None, None, "function", english)
    return None


def answer_for_remembered_part(
    dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str, buttons: bool = True
) -> list[EventType] | None:
    """The purpose given for the part of the last answer (its Appearance / Repair buttons)."""
    part = tracker.get_slot("body_part")
    if not part or part not in _reader().parts:
        return None
    procedure = _procedure_for(part, purpose)
    if procedure:
        answer_procedure(dispatcher, _procedures()[procedure], purpose, buttons)
        return _remember(procedure, None, purpose, understood_of(procedure, purpose))
    words = part_words(part)
    reason = words["looks"] if purpose == "appearance" else words["repair"]
    say(dispatcher, f"purpose_{_category_of(purpose)}", buttons=buttons, reason=phrase(reason))
    return _remember(None, part, purpose, _part_understood(part, purpose, None, "en"))


def ask_which_part(dispatcher: CollectingDispatcher, purpose: str | None) -> list[EventType]:
    """A goal without a part: "Which part would you like to change?" with buttons."""
    say(dispatcher, "which_part")
    return _remember(None, None, purpose, None)


def ask_which_purpose(dispatcher: CollectingDispatcher, part: str | None = None) -> list[EventType]:
    """No purpose to go on: "For looks, or to repair something?" with buttons (the answer
    then applies to the part named, if any)."""
    say(dispatcher, "which_purpose")
    return _remember(None, part, None, None)


def answer_general_purpose(
    dispatcher: CollectingDispatcher, purpose: str, buttons: bool = True
) -> list[EventType]:
    """A purpose with nothing to apply it to: the seeds' rule for that purpose."""
    say(dispatcher, f"purpose_general_{_category_of(purpose)}", buttons=buttons)
    return _remember(None, None, purpose, None)


def answer_described_procedure(
    dispatcher: CollectingDispatcher,
    procedure: Procedure,
    purpose: str | None,
    cause: str | None,
    buttons: bool = True,
) -> str:
    """ "That sounds like ear pinning (otoplasty) done for appearance: **cosmetic** ...";
    returns what was understood, in English for the staff."""
    local = procedure_in(procedure)
    if procedure.category == "depends" and purpose not in procedure.by_purpose:
        usual, other = procedure.usual_purpose, procedure.exception_purpose
        assert usual is not None and other is not None  # the loader guarantees both
        say(
            dispatcher,
            f"described_depends_{procedure.usual}",
            understood=_name(procedure, speaking()),
            usual_reason=phrase(local.by_purpose[usual].reason),
            other_reason=phrase(local.by_purpose[other].reason),
        )
        return _name(procedure, "en")
    if procedure.category == "depends":
        answer = local.by_purpose[str(purpose)]
        category, reason = answer.category, answer.reason
    else:
        category, reason = procedure.category, local.reason
    with_context = procedure.category == "depends" or cause is not None

    def understood(language: str) -> str:
        context = _context(purpose, cause, language) if with_context else ""
        return _name(procedure, language) + context

    say(
        dispatcher,
        f"described_{category}",
        buttons=buttons,
        understood=understood(speaking()),
        reason=phrase(reason),
    )
    return understood("en")


def answer_part(
    dispatcher: CollectingDispatcher,
    part: Part,
    purpose: str,
    cause: str | None,
    buttons: bool = True,
) -> str:
    """A part and a purpose but no procedure of its own: the part's words answer; returns
    what was understood, in English for the staff."""
    words = part_words(part.id)
    reason = words["looks"] if purpose == "appearance" else words["repair"]
    say(
        dispatcher,
        f"described_{_category_of(purpose)}",
        buttons=buttons,
        understood=_part_understood(part.id, purpose, cause, speaking()),
        reason=phrase(reason),
    )
    return _part_understood(part.id, purpose, cause, "en")


def understood_of(procedure_id: str, purpose: str | None) -> str:
    """What a named procedure's answer understood: "a nose job (rhinoplasty) done for
    appearance" (the purpose only where the category depends on it)."""
    procedure = _procedures()[procedure_id]
    context = _context(purpose, None, "en") if procedure.category == "depends" else ""
    return _name(procedure, "en") + context


def _procedure_for(part: str, purpose: str | None) -> str | None:
    from understanding.descriptions import Finding

    return _reader().resolve([Finding(part, 0, 0)], purpose).procedure


def _name(procedure: Procedure, language: str) -> str:
    """ "ear pinning (otoplasty)", or the catalog's name when it is the plain one. A
    translated catalog name already carries the English one in brackets."""
    if language != "en":
        return procedure_in(procedure, language).name
    plain = plain_name(procedure.id, language)
    if not plain or plain.casefold() == procedure.name.casefold():
        return procedure.name
    return f"{plain} ({procedure.name})"


def _part_understood(part: str, purpose: str | None, cause: str | None, language: str) -> str:
    """ "surgery on the ears done for appearance", in a language."""
    label = part_words(part, language)["label"]
    return render("described_part", language, part=label)[0] + _context(purpose, cause, language)


def _context(purpose: str | None, cause: str | None, language: str) -> str:
    if purpose == "function":
        said = cause_said(cause, language) or render("described_for_function", language)[0]
        return f" {said}"
    if purpose == "appearance":
        return " " + render("described_for_appearance", language)[0]
    return ""


def _category_of(purpose: str) -> str:
    return "cosmetic" if purpose == "appearance" else "reconstructive"


def _remember(
    procedure: str | None, part: str | None, purpose: str | None, understood: str | None
) -> list[EventType]:
    """The slots a follow-up needs (the purpose buttons apply to the procedure or part) and
    what was understood, for the staff's case summary."""
    return [
        SlotSet("procedure", procedure),
        SlotSet("body_part", part),
        SlotSet("purpose", purpose),
        SlotSet("understood", understood),
    ]
