"""The second-opinion criteria in patients' own words: measured on sets written blind to
the reader (tests/understanding/sets/).

    python -m bench.criteria              # criteria_paraphrases.yml
    python -m bench.criteria --second     # the second blind pair (second_criteria.yml)

Each message goes to fresh conversations of the trained model with the real action
server, in two places:

- **in the check**: after the patient pressed *Second opinion* (the check has asked its
  first question), the message is their answer;
- **opening**: the message is the first thing the patient writes.

The criteria it met are read from the conversation's slots afterwards (`true`). A message
is right when the criteria met are exactly those labelled `met`; a criterion labelled
`negated` counted as met is reported on its own (the target is none).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.conversations import Conversations, Outcome, with_agent
from bench.sets import SETS, documents

CRITERIA = ("unclear_diagnosis", "not_responding", "doctor_warned", "lost_confidence")
FIRST_SETS = ("criteria_paraphrases.yml",)
SECOND_SETS = ("second_criteria.yml",)
START_CHECK = "/request_second_opinion"
RIGHT_TARGET = 0.95


@dataclass(frozen=True)
class Paraphrase:
    text: str
    met: frozenset[str]
    negated: frozenset[str]
    language: str

    @property
    def kind(self) -> str:
        if len(self.met) >= 2:
            return "two met"
        if self.met and self.negated:
            return "met and negated"
        if self.met:
            return "met"
        return "negated" if self.negated else "neither"


def paraphrases(names: Sequence[str]) -> list[Paraphrase]:
    return [
        Paraphrase(
            str(d["text"]),
            frozenset(d.get("met") or ()),
            frozenset(d.get("negated") or ()),
            str(d["language"]),
        )
        for name in names
        if (SETS / name).exists()
        for d in documents(name)
    ]


def met_in(outcome: Outcome) -> frozenset[str]:
    return frozenset(c for c in CRITERIA if outcome.slots.get(c) is True)


@dataclass
class CriteriaReport:
    title: str
    total: int = 0
    right: int = 0
    negated_counted: int = 0
    denied_known: int = 0
    negated_total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    right_by_kind: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    right_by_language: Counter[str] = field(default_factory=Counter)
    miss_lines: list[str] = field(default_factory=list)

    def add(self, item: Paraphrase, outcome: Outcome) -> None:
        met = met_in(outcome)
        self.total += 1
        self.by_kind[item.kind] += 1
        self.by_language[item.language] += 1
        self.negated_total += len(item.negated)
        self.denied_known += sum(1 for c in item.negated if outcome.slots.get(c) is False)
        wrongly = met & item.negated
        self.negated_counted += len(wrongly)
        if met == item.met:
            self.right += 1
            self.right_by_kind[item.kind] += 1
            self.right_by_language[item.language] += 1
            return
        tag = "NEGATED COUNTED" if wrongly else "MISS"
        self.miss_lines.append(
            f"{tag} [{item.kind} / {item.language}] met {sorted(item.met)} "
            f"negated {sorted(item.negated)} -> got {sorted(met)}: {item.text!r}"
        )

    def lines(self) -> list[str]:
        kinds = ", ".join(
            f"{k} {self.right_by_kind[k]}/{n}" for k, n in sorted(self.by_kind.items())
        )
        languages = ", ".join(
            f"{k} {self.right_by_language[k]}/{n}" for k, n in sorted(self.by_language.items())
        )
        rate = self.right / self.total if self.total else 0.0
        return [
            f"{self.title}: {self.right}/{self.total} right ({rate:.1%}; target "
            f"{RIGHT_TARGET:.0%}); negated criteria counted as met: {self.negated_counted} of "
            f"{self.negated_total} (target 0); negated ones recorded as not met: "
            f"{self.denied_known}",
            f"  by kind: {kinds}",
            f"  by language: {languages}",
            *self.miss_lines,
        ]


async def measure(agent: Any, sets: Sequence[str], title: str) -> list[str]:
    conversations = Conversations(agent)
    said = paraphrases(sets)
    texts = [p.text for p in said]
    lines: list[str] = []
    for where, before in (("in the check", (START_CHECK,)), ("opening", ())):
        report = CriteriaReport(f"{title}, {where}")
        outcomes = await conversations.ask_all(texts, before=before, slots=True)
        for item, outcome in zip(said, outcomes, strict=True):
            report.add(item, outcome)
        lines += report.lines()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--second", action="store_true", help="the second blind pair")
    args = parser.parse_args(argv)
    sets, title = (SECOND_SETS, "second criteria") if args.second else (FIRST_SETS, "criteria")

    async def run(agent: Any) -> list[str]:
        return await measure(agent, sets, title)

    print("\n".join(asyncio.run(with_agent(run))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
