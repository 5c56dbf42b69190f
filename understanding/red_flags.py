"""Emergency red flags found with the curated lexicon of `content/red_flags.yml`.

Deterministic on purpose: an emergency must never depend on the statistical model alone.
The NLU's own `emergency` guess is weighed separately (understanding/components.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from understanding.text import fold, words

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "red_flags.yml"
# Where a message is cut into clauses: a suppressor ("years ago") speaks for its clause.
_CLAUSE_BREAK = re.compile(r"[.!?;,\n।]+|\s(?:but|lekin|par|magar|however|whereas)\s", re.I)
_SHARED_REF = "@"
# `~N` in a pattern: up to N words in between, none of them a negation.
_GAP = re.compile(r"~(\d+)")
_WORDS_BEFORE = 3
_WORDS_AFTER = 2
# A mention alone ("koi dard ya soojan nahi hai") is calm with a negation a little further on.
_WORDS_AFTER_MENTION = 5


@dataclass(frozen=True)
class RedFlag:
    kind: str  # e.g. "chest_pain", "self_harm"
    reply: str  # "emergency" or "self_harm": which reply the patient gets


@dataclass(frozen=True)
class Reading:
    """What the lexicon makes of a message."""

    flag: RedFlag | None
    # Symptom words were there, each one negated, long past, hypothetical, humour or part
    # of a category question: the message reports no emergency.
    calm: bool
    # Whether it mentions a symptom at all.
    mentions: bool = False


@dataclass(frozen=True)
class _Kind:
    name: str
    reply: str
    any: tuple[re.Pattern[str], ...]
    all: tuple[tuple[re.Pattern[str], ...], ...]
    never_suppressed: bool
    # For a kind never suppressed otherwise: "adjacent_negation" and/or "past".
    silenced_by: frozenset[str]


class RedFlagLexicon:
    """The lexicon compiled once; `find` reads one message."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        suppressors = document["suppressors"]
        negation = suppressors["negation_word"]
        self._gap = rf"(?: (?!{negation}\b)\S+)"
        self._transliteration = {
            fold(word): latin for word, latin in (document.get("transliterate") or {}).items()
        }
        shared = {name: self._compile(p) for name, p in (document.get("shared") or {}).items()}

        def compiled(pattern: str) -> re.Pattern[str]:
            if pattern.startswith(_SHARED_REF):
                return shared[pattern[len(_SHARED_REF) :]]
            return self._compile(pattern)

        self._kinds = tuple(
            _Kind(
                name=name,
                reply=str(spec["reply"]),
                any=tuple(compiled(p) for p in spec.get("any") or ()),
                all=tuple(tuple(compiled(p) for p in group) for group in spec.get("all") or ()),
                never_suppressed=bool(spec.get("never_suppressed")),
                silenced_by=frozenset(spec.get("silenced_by") or ()),
            )
            for name, spec in document["kinds"].items()
        )
        self._negation_word = re.compile(negation, re.IGNORECASE)
        self._past = self._compile(suppressors["past"])
        self._contextual = (self._past, self._compile(suppressors["hypothetical"]))
        self._humour = self._compile(suppressors["humour"])
        self._humour_emoji = re.compile(suppressors["humour_emoji"])
        self._category_question = self._compile(suppressors["category_question"])
        self._acute = self._compile(suppressors["acute"])
        self._mentions = self._compile(document["mentions"])
        self._calm_mention = self._compile(document["calm_mention"])

    def _compile(self, pattern: str) -> re.Pattern[str]:
        # Every pattern starts at a word's start; it may end inside a word (stems).
        expanded = _GAP.sub(lambda m: f"{self._gap}{{0,{m.group(1)}}}", pattern)
        return re.compile(rf"(?<!\S)(?:{expanded})", re.IGNORECASE)

    def _read(self, text: str) -> str:
        """Folded words, Devanagari ones of the transliteration table in Latin letters."""
        return " ".join(self._transliteration.get(word, word) for word in words(text))

    def find(self, text: str) -> RedFlag | None:
        """The first red flag the message raises, self-harm before the others."""
        return self.read(text).flag

    def read(self, text: str) -> Reading:
        """The red flag the message raises, or whether it mentions symptoms only calmly."""
        whole = self._read(text)
        if not whole:
            return Reading(None, calm=False)
        clauses = [clause for part in _CLAUSE_BREAK.split(text) if (clause := self._read(part))]
        calm = bool(self._humour.search(whole) or self._humour_emoji.search(text)) or (
            bool(self._category_question.search(whole)) and not self._acute.search(whole)
        )
        for kind in sorted(self._kinds, key=lambda k: not k.never_suppressed):
            if (kind.never_suppressed or not calm) and self._raised(kind, clauses, whole):
                return Reading(RedFlag(kind.name, kind.reply), calm=False)
        mentions = [
            (clause, found) for clause in clauses for found in self._mentions.finditer(clause)
        ]
        calm = calm or (
            bool(mentions) and all(self._mention_calm(clause, found) for clause, found in mentions)
        )
        return Reading(None, calm=calm, mentions=bool(mentions))

    def _mention_calm(self, clause: str, found: re.Match[str]) -> bool:
        after = clause[found.end() :].split()[:_WORDS_AFTER_MENTION]
        return (
            self._suppressed(clause, found)
            or any(self._negation_word.fullmatch(word) for word in after)
            or bool(self._calm_mention.search(clause))
        )

    def _raised(self, kind: _Kind, clauses: Sequence[str], whole: str) -> bool:
        for pattern in kind.any:
            for clause in clauses:
                for found in pattern.finditer(clause):
                    if not self._silenced(kind, clause, found):
                        return True
        for group in kind.all:
            first = next(
                (
                    found
                    for clause in clauses
                    for found in group[0].finditer(clause)
                    if not self._silenced(kind, clause, found)
                ),
                None,
            )
            if first is not None and all(pattern.search(whole) for pattern in group[1:]):
                return True
        return False

    def _silenced(self, kind: _Kind, clause: str, found: re.Match[str]) -> bool:
        if not kind.never_suppressed:
            return self._suppressed(clause, found)
        before = clause[: found.start()].split()[-1:]
        if "adjacent_negation" in kind.silenced_by and any(
            self._negation_word.fullmatch(word) for word in before
        ):
            return True
        return "past" in kind.silenced_by and bool(self._past.search(clause))

    def _suppressed(self, clause: str, found: re.Match[str]) -> bool:
        near = (
            clause[: found.start()].split()[-_WORDS_BEFORE:]
            + clause[found.end() :].split()[:_WORDS_AFTER]
        )
        if any(self._negation_word.fullmatch(word) for word in near):
            return True
        return any(pattern.search(clause) for pattern in self._contextual)


@functools.lru_cache(maxsize=4)
def red_flag_lexicon(path: Path = DEFAULT_PATH) -> RedFlagLexicon:
    """The compiled lexicon (read once per process and path)."""
    with path.open(encoding="utf-8") as handle:
        return RedFlagLexicon(yaml.safe_load(handle))


def find_red_flag(text: str) -> RedFlag | None:
    """The red flag `text` raises, if any (the default lexicon)."""
    return red_flag_lexicon().find(text)


def nlu_window(text: str, limit: int) -> str:
    """At most `limit` characters of `text` for the NLU: the start, or where a red flag
    lies when the start has none (the lexicon reads the whole message; DIET a window)."""
    if len(text) <= limit:
        return text
    lexicon = red_flag_lexicon()
    step = limit // 2
    windows = (text[start : start + limit] for start in range(0, len(text), step))
    return next((w for w in windows if lexicon.find(w) is not None), text[:limit])
