"""What a patient describes instead of naming a procedure, read with the words of
`content/descriptions.yml`: the body part, the goal (a healthy part changed for looks)
and the cause or lost function (form or function to restore); from these, a procedure of
the catalog and the purpose that decides its category, by the seeds' rule.

Deterministic on purpose, like the catalog matcher beside it: a reconstructive patient
told that their problem is cosmetic is the one mistake the product must not make, so a
stated cause always wins over a word that looks cosmetic.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from understanding.lexicon import Hit, Lexicon, phrase_lists
from understanding.procedure_catalog import load_procedures

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "descriptions.yml"
APPEARANCE = "appearance"
FUNCTION = "function"
_GROUPS = ("parts", "goals", "causes", "conditions")
_EXPANSIONS = {"@goal": "goals", "@cause": "causes"}


@dataclass(frozen=True)
class Part:
    id: str
    label: str
    usual: str  # "cosmetic" | "reconstructive"
    looks: str  # completes "it ..." when done for appearance
    repair: str  # completes "it ..." when done to restore form or function
    vague: bool
    dermatology: bool  # a skin question about it keeps the dermatologist's answer


@dataclass(frozen=True)
class Rule:
    parts: frozenset[str]
    signs: frozenset[str]
    with_: frozenset[str]
    procedure: str


@dataclass(frozen=True)
class Finding:
    """One concept the message said, and the words it said it with."""

    concept: str
    start: int
    end: int


@dataclass(frozen=True)
class DescriptionReading:
    """What a message describes. Empty when it describes nothing the lexicon knows."""

    part: Part | None = None
    goals: tuple[Finding, ...] = ()
    causes: tuple[Finding, ...] = ()
    conditions: tuple[Finding, ...] = ()
    purpose: str | None = None  # "appearance" | "function" | None
    procedure: str | None = None  # a catalog procedure id
    # Where the part was named (start, end); the first cause or goal decided the purpose.
    part_span: tuple[int, int] | None = None
    decisive: Finding | None = None
    # Only a part and "something is wrong": ask what it is for rather than say "usually".
    unclear: bool = False

    @property
    def found(self) -> bool:
        """Whether it says enough to answer from: a part, a procedure, or a cause."""
        return bool(self.part or self.procedure or self.causes)


class DescriptionReader:
    """The lexicon and rules compiled once; `read` reads one message."""

    def __init__(
        self,
        document: Mapping[str, Any],
        categories: Mapping[str, str],
        surgical: Mapping[str, bool] | None = None,
    ) -> None:
        """`categories`: catalog procedure id -> "cosmetic", "reconstructive" or "depends";
        `surgical`: which of them are operations (the rest skin treatments)."""
        self.surgical = dict(surgical or {})
        self.parts = {
            str(p["id"]): Part(
                str(p["id"]),
                str(p["label"]),
                str(p["usual"]),
                str(p["looks"]),
                str(p["repair"]),
                bool(p.get("vague")),
                bool(p.get("dermatology")),
            )
            for p in document["parts"]
        }
        self._groups = {group: [dict(e) for e in document[group]] for group in _GROUPS}
        self._ids = {
            group: frozenset(str(e["id"]) for e in entries)
            for group, entries in self._groups.items()
        }
        self.cause_said = {str(e["id"]): str(e["said"]) for e in document["causes"]}
        self._condition_purpose = {
            str(e["id"]): str(e["purpose"]) for e in document["conditions"] if e.get("purpose")
        }
        # Conditions that leave the purpose open ("one side smaller than the other",
        # "something is wrong"): the part's "usually ..." or a question, never a guess.
        self._open = frozenset(str(e["id"]) for e in document["conditions"] if e.get("open"))
        # Of those, the ones that say nothing but that something is wrong: ask the purpose.
        self._unclear = frozenset(
            str(e["id"]) for e in document["conditions"] if e.get("asks_purpose")
        )
        self.plain_names = {str(k): str(v) for k, v in (document.get("plain_names") or {}).items()}
        self._categories = dict(categories)
        phrases: dict[str, list[str]] = {}
        for entries in self._groups.values():
            phrases.update(phrase_lists(entries))
        negations = document["negations"]
        self._lexicon = Lexicon(
            phrases,
            list(negations["before"]),
            list(negations["after"]),
            list(document.get("never_typos") or ()),
        )
        self.rules = tuple(self._rule(dict(r)) for r in document["rules"])
        self._check()

    def read(self, text: str, skip: Sequence[tuple[int, int]] = ()) -> DescriptionReading:
        """What `text` describes; words inside the `skip` spans (named procedures) aside."""
        hits = self._outermost(self._lexicon.hits(self._lexicon.clauses(text, skip)))
        return self.resolve(
            _first_of_each(h for h in hits if not h.negated),
            denied=_first_of_each(h for h in hits if h.negated),
        )

    def resolve(
        self,
        findings: Sequence[Finding],
        purpose: str | None = None,
        denied: Sequence[Finding] = (),
    ) -> DescriptionReading:
        """The reading of these findings; `purpose` when the patient gave it by a button.

        Without a cause or goal said, one denied says the purpose too: "no pain, nothing
        wrong with them" is for looks, "not for looks" is to repair.
        """
        said = {f.concept for f in findings}
        parts = [f for f in findings if f.concept in self._ids["parts"]]
        goals = tuple(f for f in findings if f.concept in self._ids["goals"])
        causes = tuple(f for f in findings if f.concept in self._ids["causes"])
        conditions = tuple(f for f in findings if f.concept in self._ids["conditions"])
        restoring = [c for c in conditions if self._condition_purpose.get(c.concept) == FUNCTION]
        decisive = causes[0] if causes else next(iter(restoring), None) or next(iter(goals), None)
        open_ = any(c.concept in self._open for c in conditions)
        if purpose is None:
            looking = [
                c
                for c in conditions
                if self._condition_purpose.get(c.concept) == APPEARANCE and not open_
            ]
            no_cause = [f for f in denied if f.concept in self._ids["causes"]]
            no_goal = [f for f in denied if f.concept in self._ids["goals"]]
            if causes or restoring:
                purpose = FUNCTION
            elif goals or looking or no_cause:
                purpose = APPEARANCE
                decisive = decisive or next(iter(looking), None) or no_cause[0]
            elif no_goal:
                purpose, decisive = FUNCTION, no_goal[0]
        rule = self._first_rule(said, purpose, fixed_allowed=not (open_ and purpose is None))
        named = [
            p
            for p in parts
            if not self.parts[p.concept].vague or (rule and p.concept in rule.parts)
        ]
        if rule and rule.parts:
            named.sort(key=lambda p: p.concept not in rule.parts)
        part = self.parts[named[0].concept] if named else None
        return DescriptionReading(
            part=part,
            goals=goals,
            causes=causes,
            conditions=conditions,
            purpose=purpose,
            procedure=rule.procedure if rule else None,
            part_span=(named[0].start, named[0].end) if named else None,
            decisive=decisive,
            unclear=purpose is None and rule is None and bool(said & self._unclear),
        )

    def _outermost(self, hits: Sequence[Hit]) -> list[Hit]:
        """Hits without a cause or goal inside a longer phrase of a treatment for looks:
        "burns away the outer skin" is a skin treatment, not a burn."""
        weighing = self._ids["causes"] | self._ids["goals"]
        return [
            hit
            for hit in hits
            if hit.concept not in weighing
            or not any(
                other.concept != hit.concept
                and self._condition_purpose.get(other.concept) == APPEARANCE
                and other.start <= hit.start
                and hit.end <= other.end
                and (other.end - other.start) > (hit.end - hit.start)
                for other in hits
            )
        ]

    def _first_rule(
        self, said: set[str], purpose: str | None, fixed_allowed: bool = True
    ) -> Rule | None:
        for rule in self.rules:
            category = self._categories[rule.procedure]
            if rule.parts and not rule.parts & said:
                continue
            if rule.signs and not rule.signs & said:
                continue
            if rule.with_ and not rule.with_ & said:
                continue
            if not rule.signs and purpose is None:
                # A part alone: the part's own "usually ..." answer, not a guess.
                continue
            if purpose == FUNCTION and category == "cosmetic":
                # A stated cause wins over a procedure that is only ever cosmetic.
                continue
            if not fixed_allowed and category != "depends":
                continue
            return rule
        return None

    def _rule(self, raw: Mapping[str, Any]) -> Rule:
        def ids(key: str) -> frozenset[str]:
            found: set[str] = set()
            for name in raw.get(key) or ():
                group = _EXPANSIONS.get(str(name))
                found |= set(self._ids[group]) if group else {str(name)}
            return frozenset(found)

        return Rule(ids("parts"), ids("signs"), ids("with"), str(raw["procedure"]))

    def _check(self) -> None:
        every = frozenset().union(*self._ids.values())
        if sum(len(ids) for ids in self._ids.values()) != len(every):
            raise ValueError("descriptions: a concept id is used in two groups")
        for rule in self.rules:
            unknown = (rule.parts - self._ids["parts"]) | ((rule.signs | rule.with_) - every)
            if unknown:
                raise ValueError(f"descriptions: a rule names unknown concepts {sorted(unknown)}")
            if rule.procedure not in self._categories:
                raise ValueError(f"descriptions: unknown procedure {rule.procedure!r}")
        for procedure in self.plain_names:
            if procedure not in self._categories:
                raise ValueError(f"descriptions: plain name for unknown procedure {procedure!r}")
        for part in self.parts.values():
            if part.usual not in ("cosmetic", "reconstructive"):
                raise ValueError(f"descriptions: part {part.id!r} has usual {part.usual!r}")


def _first_of_each(hits: Iterable[Hit]) -> list[Finding]:
    """Each concept once, where the message first said it, in the message's order."""
    seen: dict[str, Finding] = {}
    for hit in hits:
        seen.setdefault(hit.concept, Finding(hit.concept, hit.start, hit.end))
    return sorted(seen.values(), key=lambda f: (f.start, f.end))


@functools.lru_cache(maxsize=4)
def description_reader(path: Path = DEFAULT_PATH) -> DescriptionReader:
    """The reader of the content file (built once per process and path)."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    procedures = load_procedures()
    return DescriptionReader(
        document,
        {pid: p.category for pid, p in procedures.items()},
        {pid: p.surgical for pid, p in procedures.items()},
    )
