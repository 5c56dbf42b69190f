"""Patients who describe instead of naming, and who ask which specialist: measured on sets
written blind to the reader (tests/understanding/sets/).

    python -m bench.descriptions                 # the first sets (descriptions_*.yml)
    python -m bench.descriptions --second        # the second blind pair (second_descriptions.yml)

Every message goes to a fresh conversation of the trained model with the real action
server, and the answer's shape is read from its replies:

- `cosmetic` / `reconstructive`: the first bold phrase names the category, at once;
- `depends`: "**Usually …**" with the two purpose buttons;
- `question`: a short question with buttons (which part, or for looks or repair);
- `alarm`: emergency guidance; `other`: anything else (the general explanation,
  "I didn't understand", "Which procedure…?", an unknown procedure).

A description is right when its shape is its label. A reconstructive description answered
"cosmetic" counts as two misses. A question is not right, and is counted on its own too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.conversations import Conversations, Outcome, bold_lead, leading_category, with_agent
from bench.sets import SETS, documents

LABELS = ("cosmetic", "reconstructive", "depends")
FIRST_SETS = ("descriptions_a.yml", "descriptions_b.yml")
SECOND_SETS = ("second_descriptions.yml",)
SPECIALIST_SETS = ("specialist_questions.yml",)
SECOND_SPECIALIST_SETS = ("second_specialist_questions.yml",)
RIGHT_TARGET = 0.95
QUESTION_LIMIT = 0.05
# The buttons of a clarifying question: the purpose, or the part (a procedure question
# that names a body part).
_QUESTION_PAYLOADS = ("/inform_purpose", '/ask_procedure_category{"body_part"')
# The specialist answer of seed 004: a board-certified cosmetic dermatologist for skin
# treatments without surgery, surgery to repair or rebuild, and the doctor's qualifications.
_SPECIALIST_MARKS = ("dermatologist", "qualif")


@dataclass(frozen=True)
class Description:
    text: str
    label: str  # cosmetic | reconstructive | depends | unclear
    procedure: str
    language: str


def descriptions(names: Sequence[str]) -> list[Description]:
    return [
        Description(
            str(d["text"]), str(d["label"]), str(d.get("procedure", "none")), str(d["language"])
        )
        for name in names
        if (SETS / name).exists()
        for d in documents(name)
    ]


def specialist_questions(names: Sequence[str]) -> list[Description]:
    return [
        Description(
            str(d["text"]), str(d["category"]), str(d.get("procedure", "none")), str(d["language"])
        )
        for name in names
        if (SETS / name).exists()
        for d in documents(name)
    ]


def shape(outcome: Outcome, texts: Sequence[str] | None = None) -> str:
    """What the answer does: a category, "Usually …" with buttons, a question, or else."""
    if outcome.alarm:
        return "alarm"
    for text in texts if texts is not None else outcome.texts[:1]:
        lead = bold_lead(text)
        category = leading_category(text)
        if category and "usually" in lead:
            return "depends" if _purpose_buttons(outcome) else "other"
        if category:
            return category
    if any(payload.startswith(_QUESTION_PAYLOADS) for _, payload in outcome.buttons):
        return "question"
    return "other"


def _purpose_buttons(outcome: Outcome) -> bool:
    return sum(1 for _, p in outcome.buttons if p.startswith("/inform_purpose")) >= 2


def specialist_answered(outcome: Outcome) -> bool:
    joined = " ".join(outcome.texts).casefold()
    return all(mark in joined for mark in _SPECIALIST_MARKS)


@dataclass
class DescriptionReport:
    title: str
    total: int = 0
    right: int = 0
    misses: float = 0
    questions: int = 0
    cosmetic_for_reconstructive: int = 0
    same_procedure: int = 0
    by_language: Counter[str] = field(default_factory=Counter)
    right_by_language: Counter[str] = field(default_factory=Counter)
    miss_lines: list[str] = field(default_factory=list)
    unclear_total: int = 0
    unclear_asked: int = 0
    unclear_lines: list[str] = field(default_factory=list)

    def add(self, item: Description, outcome: Outcome) -> None:
        got = shape(outcome)
        if item.label == "unclear":
            self.unclear_total += 1
            if got == "question":
                self.unclear_asked += 1
            else:
                self.unclear_lines.append(_line("GUESSED", item, got, outcome))
            return
        self.total += 1
        self.by_language[item.language] += 1
        if outcome.slots.get("procedure") == item.procedure:
            self.same_procedure += 1
        if got == item.label:
            self.right += 1
            self.right_by_language[item.language] += 1
            return
        self.misses += 1
        if got == "question":
            self.questions += 1
        if item.label == "reconstructive" and got == "cosmetic":
            self.misses += 1
            self.cosmetic_for_reconstructive += 1
        self.miss_lines.append(_line("MISS", item, got, outcome))

    @property
    def rate(self) -> float:
        return 1 - self.misses / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        languages = ", ".join(
            f"{lang} {self.right_by_language[lang]}/{n}"
            for lang, n in sorted(self.by_language.items())
        )
        return [
            f"{self.title}: {self.right}/{self.total} right, {self.misses:.0f} misses counted "
            f"({self.rate:.1%}; target {RIGHT_TARGET:.0%}; a reconstructive description answered "
            f"cosmetic counts twice: {self.cosmetic_for_reconstructive} of them)",
            f"  clarifying questions: {self.questions} of {self.total} "
            f"({self.questions / max(self.total, 1):.1%}; limit {QUESTION_LIMIT:.0%})",
            f"  by language: {languages}",
            f"  the procedure understood is the one labelled: {self.same_procedure}/{self.total}",
            f"  unclear descriptions asked a question: {self.unclear_asked}/{self.unclear_total}",
            *self.miss_lines,
            *self.unclear_lines,
        ]


@dataclass
class SpecialistReport:
    title: str
    total: int = 0
    answered: int = 0
    category_right: int = 0
    miss_lines: list[str] = field(default_factory=list)

    def add(self, item: Description, outcome: Outcome) -> None:
        self.total += 1
        answered = specialist_answered(outcome)
        after = _after_specialist(outcome)
        got = shape(outcome, after) if after else "none"
        follows = item.label == "none" or got == item.label
        self.answered += answered
        self.category_right += answered and follows
        if not (answered and follows):
            what = f"specialist {'yes' if answered else 'no'}, then {got}"
            self.miss_lines.append(_line("MISS", item, what, outcome))

    def lines(self) -> list[str]:
        return [
            f"{self.title}: the specialist answer {self.answered}/{self.total}, and with the "
            f"category that follows {self.category_right}/{self.total}",
            *self.miss_lines,
        ]


def _after_specialist(outcome: Outcome) -> list[str]:
    """The replies after the one that answers which specialist."""
    for index, text in enumerate(outcome.texts):
        if all(mark in text.casefold() for mark in _SPECIALIST_MARKS):
            return outcome.texts[index + 1 :]
    return []


def _line(tag: str, item: Description, got: str, outcome: Outcome) -> str:
    return (
        f"{tag} [{item.label} -> {got}] [{item.procedure} / {item.language}] "
        f"{item.text!r} -> {outcome.first_text[:110]!r}"
    )


async def measure(
    agent: Any, sets: Sequence[str], specialist_sets: Sequence[str], title: str
) -> list[str]:
    conversations = Conversations(agent)
    report = DescriptionReport(title)
    described = descriptions(sets)
    outcomes = await conversations.ask_all([d.text for d in described], slots=True)
    for item, outcome in zip(described, outcomes, strict=True):
        report.add(item, outcome)
    specialist = SpecialistReport(f"{title}, which specialist")
    asked = specialist_questions(specialist_sets)
    for item, outcome in zip(
        asked, await conversations.ask_all([a.text for a in asked]), strict=True
    ):
        specialist.add(item, outcome)
    return [*report.lines(), *(specialist.lines() if asked else [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--second", action="store_true", help="the second blind pair")
    args = parser.parse_args(argv)
    if args.second:
        sets, specialist, title = SECOND_SETS, SECOND_SPECIALIST_SETS, "second descriptions"
    else:
        sets, specialist, title = FIRST_SETS, SPECIALIST_SETS, "descriptions"

    async def run(agent: Any) -> list[str]:
        return await measure(agent, sets, specialist, title)

    print("\n".join(asyncio.run(with_agent(run))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
