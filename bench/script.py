"""The simulated patient's decisions: given what the bot last said, what to do next."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

CONVERSATION_FILE = Path(__file__).with_name("conversation.yml")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str | None = None


@dataclass(frozen=True)
class Reply:
    """One bot message as the patient sees it."""

    text: str
    buttons: tuple[Button, ...] = ()

    def titles(self) -> list[str]:
        return [button.title for button in self.buttons]


@dataclass(frozen=True)
class Action:
    kind: Literal["text", "button"]
    value: str  # the text to type, or the button's title


@dataclass(frozen=True)
class Conversation:
    procedure_question: str
    second_opinion_button: str
    criteria_text: str
    criterion_answer_button: str
    continue_buttons: tuple[str, ...]
    agree_button: str
    handoff_marker: str
    consent_progress_pattern: str
    max_turns: int

    @classmethod
    def load(cls, path: Path = CONVERSATION_FILE) -> Conversation:
        data: dict[str, Any] = yaml.safe_load(path.read_text())
        data["continue_buttons"] = tuple(data["continue_buttons"])
        return cls(**data)


@dataclass
class PatientScript:
    """Procedure question, second opinion, criteria (typed, then buttons), consent, handoff."""

    conversation: Conversation
    typed_criteria: bool = False
    asked_second_opinion: bool = False
    agreed: int = 0
    turns: int = 0
    transcript: list[Action] = field(default_factory=list)

    def first(self) -> Action:
        return self._do(Action("text", self.conversation.procedure_question))

    def finished(self, replies: list[Reply]) -> bool:
        return any(self.conversation.handoff_marker in reply.text for reply in replies)

    def ready(self, replies: list[Reply]) -> bool:
        """Whether this turn's replies already show what to do next (or the handoff)."""
        return self.finished(replies) or self._choose(replies) is not None

    def next(self, replies: list[Reply]) -> Action | None:
        """The next action, or None when there is nothing sensible left to do."""
        if self.finished(replies) or self.turns >= self.conversation.max_turns:
            return None
        action = self._choose(replies)
        return self._do(action) if action is not None else None

    def _do(self, action: Action) -> Action:
        self.turns += 1
        self.transcript.append(action)
        if action.value == self.conversation.agree_button:
            self.agreed += 1
        if action.value == self.conversation.second_opinion_button:
            self.asked_second_opinion = True
        if action.kind == "text" and action.value == self.conversation.criteria_text:
            self.typed_criteria = True
        return action

    def _choose(self, replies: list[Reply]) -> Action | None:
        with_buttons = [reply for reply in replies if reply.buttons]
        if not with_buttons:
            return None
        titles = with_buttons[-1].titles()
        talk = self.conversation
        if talk.agree_button in titles:
            return Action("button", talk.agree_button)
        for label in talk.continue_buttons:
            if label in titles:
                return Action("button", label)
        if talk.criterion_answer_button in titles:
            if not self.typed_criteria:
                return Action("text", talk.criteria_text)
            return Action("button", talk.criterion_answer_button)
        if talk.second_opinion_button in titles and not self.asked_second_opinion:
            return Action("button", talk.second_opinion_button)
        return None


def step_name(action: Action) -> str:
    """A turn's name in reports: the button's title, or the start of the typed text."""
    return f"button:{action.value}" if action.kind == "button" else f"typed:{action.value[:24]}"


def consent_in_order(conversation: Conversation, texts: list[str], clauses: int = 5) -> bool:
    """Whether the consent clauses were shown exactly once each, 1 to `clauses`, in order."""
    pattern = re.compile(conversation.consent_progress_pattern)
    shown = [int(m.group(1)) for text in texts for m in pattern.finditer(text)]
    return shown == list(range(1, clauses + 1))
