"""A known procedure's answer: its category, or for a purpose-dependent one the category
for the purpose given, else the usual one and when it is the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rasa_sdk.executor import CollectingDispatcher

from actions.replies import say
from actions.wording import procedure_in

if TYPE_CHECKING:
    from actions.procedures import Procedure


def _sentence_start(name: str) -> str:
    """Procedure names are stored lower-case ("breast lift"); the replies open with them."""
    return name[:1].upper() + name[1:]


def phrase(text: str) -> str:
    """A reason as a phrase to continue a sentence: the template adds the full stop."""
    return text.strip().rstrip(".")


def answer_known(
    dispatcher: CollectingDispatcher, procedure: Procedure, buttons: bool = True
) -> None:
    """Category first, then the one-line reason, with the next-step buttons."""
    procedure = procedure_in(procedure)
    say(
        dispatcher,
        f"procedure_{procedure.category}",
        buttons=buttons,
        name=_sentence_start(procedure.name),
        reason=phrase(procedure.reason),
    )


def answer_for_purpose(
    dispatcher: CollectingDispatcher, procedure: Procedure, purpose: str, buttons: bool = True
) -> None:
    answer = procedure_in(procedure).by_purpose[purpose]
    say(dispatcher, f"purpose_{answer.category}", buttons=buttons, reason=phrase(answer.reason))


def answer_depends(dispatcher: CollectingDispatcher, procedure: Procedure) -> None:
    """The usual category at once, when it would be the other, and the purpose buttons."""
    usual, other = procedure.usual_purpose, procedure.exception_purpose
    assert usual is not None and other is not None  # the loader guarantees both
    procedure = procedure_in(procedure)
    say(
        dispatcher,
        f"procedure_depends_{procedure.usual}",
        name=_sentence_start(procedure.name),
        usual_reason=phrase(procedure.by_purpose[usual].reason),
        other_reason=phrase(procedure.by_purpose[other].reason),
    )


def answer_procedure(
    dispatcher: CollectingDispatcher,
    procedure: Procedure,
    purpose: str | None,
    buttons: bool = True,
) -> None:
    """The answer for a known procedure: its category, or for a purpose-dependent one the
    category for the purpose given, else the usual one and the exception."""
    if procedure.category != "depends":
        answer_known(dispatcher, procedure, buttons)
    elif purpose in procedure.by_purpose:
        answer_for_purpose(dispatcher, procedure, purpose, buttons)
    else:
        answer_depends(dispatcher, procedure)
