"""Phrases of a content file found in a message, clause by clause, with negation.

The readers of descriptions (`understanding/descriptions.py`) and of the second-opinion
criteria (`understanding/criteria.py`) write their words as **phrases** in `content/`:

- words separated by spaces, matched against the message folded to lower-case words
  ("can't" reads "can t", punctuation and emoji are gone);
- `word*` matches any word starting with `word` ("burn*": burnt, burns, burning);
- `a|b|c` matches any one of the words (each may end in `*`), and `(a b|c)` any one of
  these word groups;
- `~N` stands for up to N words of any kind in between;
- Latin, Hinglish and Devanagari alike; a typo in a Latin word of five letters or more is
  forgiven as the catalog forgives one (understanding/catalog.py): one edit up to eight
  letters, two from nine, towards an English word only, never on an everyday English word
  (understanding/everyday.py), a word of `never_typos` or one the lexicon knows.

A phrase is **negated** when a negation word stands up to three words before it in its
clause ("no injury", "not for looks"), inside it ("skin is not tight" for `skin ~3
tight`), or, for a Hindi negation, up to two words after it ("chot nahi lagi"). A phrase
that holds a negation itself ("can't straighten") is not negated again: "no, I can't
straighten it" answers a question, it is no double negative.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from understanding.everyday import everyday_words
from understanding.text import Token, tokenize, words

# Clauses end at sentence punctuation, commas and "but": a negation speaks for its clause.
_CLAUSE_BREAK = re.compile(r"[.!?;,\n।:()]+|\s(?:but|lekin|par|magar|however|whereas)\s", re.I)
_GAP = re.compile(r"^~(\d+)$")
# A phrase's items: a parenthesised group of alternatives, or a run without spaces.
_ITEM = re.compile(r"\([^)]*\)|\S+")
_FUZZY_MIN_CHARS = 5
_TWO_EDITS_FROM = 9
_NEGATION_BEFORE = 3
_NEGATION_AFTER = 2
_NUKTA = "\u093c"
_CORRECTED_CACHE = 20_000
# Prefixes are indexed by this many first letters: every `word*` needs at least so many.
_PREFIX_KEY = 3


@dataclass(frozen=True)
class Hit:
    """One phrase of one concept found in a message."""

    concept: str
    start: int  # character offsets in the original message
    end: int
    negated: bool
    clause: int  # which clause of the message it is in

    def words(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class _Phrase:
    concept: str
    pattern: re.Pattern[str]
    holds_negation: bool
    # The first word's alternatives: a phrase is tried only on a clause that has one.
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Clause:
    """A clause's words after typo correction, and where each word was in the message."""

    index: int
    tokens: tuple[Token, ...]
    words: tuple[str, ...]
    text: str  # the words joined by single spaces
    question: bool  # the clause ends with a question mark

    def token_at(self, offset: int) -> int:
        """The index of the word that starts at `offset` of `text`."""
        return self.text.count(" ", 0, offset)

    def token_at_offset(self, offset: int) -> int:
        """The index of the word that starts at `offset` of the original message."""
        return next(i for i, token in enumerate(self.tokens) if token.start == offset)


class Lexicon:
    """Phrases by concept, compiled once; `hits` reads one message."""

    def __init__(
        self,
        phrases: Mapping[str, Iterable[str]],
        negations_before: Iterable[str],
        negations_after: Iterable[str],
        never_typos: Iterable[str] = (),
    ) -> None:
        """`phrases`: concept id -> its phrases (the syntax of the module's docstring)."""
        self._before = frozenset(_words_of(negations_before))
        self._after = frozenset(_words_of(negations_after))
        negations = self._before | self._after
        vocabulary: set[str] = set()
        # First words -> the phrases they start; prefixes by their first letters.
        self._by_word: dict[str, list[_Phrase]] = defaultdict(list)
        self._by_prefix: dict[str, list[tuple[str, _Phrase]]] = defaultdict(list)
        for concept, written in phrases.items():
            for phrase in _words_of(written):
                items = [_folded(item) for item in _ITEM.findall(phrase)]
                vocabulary.update(
                    word.rstrip("*")
                    for item in items
                    for alternative in item.split("|")
                    for word in alternative.split()
                )
                compiled = _Phrase(
                    concept,
                    _compile(items),
                    any(
                        word in negations
                        for item in items
                        for alternative in item.split("|")
                        for word in alternative.split()
                    ),
                    tuple(alternative.split()[0] for alternative in items[0].split("|")),
                )
                for anchor in compiled.anchors:
                    if anchor.endswith("*"):
                        stem = anchor[:-1]
                        if len(stem) < _PREFIX_KEY:
                            raise ValueError(
                                f"{concept}: {phrase!r} starts with a prefix shorter than "
                                f"{_PREFIX_KEY} letters"
                            )
                        self._by_prefix[stem[:_PREFIX_KEY]].append((stem, compiled))
                    else:
                        self._by_word[anchor].append(compiled)
        self._known = frozenset(vocabulary) | frozenset(never_typos) | negations
        # Only English words are typo targets: Hinglish spellings vary too freely for one
        # edit to mean a typo ("daano" is no "daant"), so their variants are listed.
        self._targets = tuple(
            word
            for word in sorted(vocabulary)
            if len(word) >= _FUZZY_MIN_CHARS and word.isascii() and word in everyday_words()
        )
        # Patients use the same words again and again: each is corrected once.
        self._corrected = functools.lru_cache(maxsize=_CORRECTED_CACHE)(self._correct)

    def clauses(self, text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Clause]:
        """The message's clauses, typos corrected; words inside `skip` spans are left out
        (a procedure the catalog already named)."""
        clauses: list[Clause] = []
        start = 0
        for match in [*_CLAUSE_BREAK.finditer(text), None]:
            end = match.start() if match else len(text)
            tokens = tuple(
                token
                for token in _offset(tokenize(text[start:end]), start)
                if not any(a <= token.start < b for a, b in skip)
            )
            if tokens:
                words = tuple(self._corrected(_without_nukta(token.text)) for token in tokens)
                clauses.append(
                    Clause(
                        len(clauses),
                        tokens,
                        words,
                        " ".join(words),
                        bool(match and "?" in match.group()),
                    )
                )
            start = match.end() if match else len(text)
        return clauses

    def hits(self, clauses: Sequence[Clause]) -> list[Hit]:
        """Every phrase found, each marked negated or not."""
        found: list[Hit] = []
        for clause in clauses:
            for phrase in self._candidates(clause):
                for match in phrase.pattern.finditer(clause.text):
                    first = clause.token_at(match.start())
                    last = clause.token_at(match.end() - 1)
                    negated = not phrase.holds_negation and self._negated(clause, first, last)
                    found.append(
                        Hit(
                            phrase.concept,
                            clause.tokens[first].start,
                            clause.tokens[last].end,
                            negated,
                            clause.index,
                        )
                    )
        return sorted(found, key=lambda hit: (hit.start, hit.end, hit.concept))

    def _candidates(self, clause: Clause) -> list[_Phrase]:
        """The phrases whose first word the clause has, each once, in a stable order."""
        chosen: dict[int, _Phrase] = {}
        for word in set(clause.words):
            for phrase in self._by_word.get(word, ()):
                chosen[id(phrase)] = phrase
            for stem, phrase in self._by_prefix.get(word[:_PREFIX_KEY], ()):
                if word.startswith(stem):
                    chosen[id(phrase)] = phrase
        return list(chosen.values())

    def _negated(self, clause: Clause, first: int, last: int) -> bool:
        before = clause.words[max(0, first - _NEGATION_BEFORE) : first]
        inside = clause.words[first : last + 1]
        after = clause.words[last + 1 : last + 1 + _NEGATION_AFTER]
        return (
            any(w in self._before for w in before)
            or any(w in self._after for w in after)
            # A negation in a phrase's gap ("skin is not tight") speaks for it too.
            or any(w in self._before or w in self._after for w in inside)
        )

    def _correct(self, word: str) -> str:
        """The lexicon's word a typo stands for, or the word itself."""
        if len(word) < _FUZZY_MIN_CHARS or word in self._known or not word.isascii():
            return word
        if word in everyday_words():
            return word
        edits = 1 if len(word) < _TWO_EDITS_FROM else 2
        best = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=edits)
        if best is None or best[0][0] != word[0]:
            # A first letter is rarely the typo, and changing it makes another word.
            return word
        return str(best[0])


def _compile(items: Sequence[str]) -> re.Pattern[str]:
    parts: list[str] = []
    for item in items:
        gap = _GAP.match(item)
        if gap:
            parts.append(f"(?: \\S+){{0,{int(gap.group(1))}}}")
            continue
        words = [
            re.escape(word[:-1]) + r"\S*" if word.endswith("*") else re.escape(word)
            for word in item.split("|")
        ]
        parts.append((" " if parts else "") + "(?:" + "|".join(words) + ")")
    # A gap's own leading space is part of it; words are whole (or prefixes, with `*`).
    return re.compile(r"(?<!\S)" + "".join(parts) + r"(?!\S)")


def _words_of(values: Iterable[object]) -> list[str]:
    """Strings only: YAML reads a bare `no` or `on` as a boolean, which must be quoted."""
    values = list(values)
    wrong = [value for value in values if not isinstance(value, str)]
    if wrong:
        raise ValueError(f"lexicon: {wrong} are not text; quote them in the content file")
    return [str(value) for value in values]


def _folded(item: str) -> str:
    """A phrase item's alternatives folded as message words are ("Can't" -> "can t")."""
    if _GAP.match(item):
        return item
    alternatives = []
    for alternative in item.strip("()").split("|"):
        prefix = alternative.endswith("*")
        folded = _without_nukta(" ".join(words(alternative)))
        alternatives.append(folded + ("*" if prefix else ""))
    return "|".join(alternatives)


def _without_nukta(word: str) -> str:
    """Devanagari with its nukta dot dropped: "सफ़ेद" and "सफेद" are one word to patients."""
    return word.replace(_NUKTA, "")


def _offset(tokens: Iterable[Token], by: int) -> list[Token]:
    return [Token(token.text, token.start + by, token.end + by) for token in tokens]


def phrase_lists(
    entries: Iterable[Mapping[str, Any]], key: str = "phrases"
) -> dict[str, list[str]]:
    """Concept id -> phrases, from content entries that each have an `id` and `key`."""
    return {str(entry["id"]): list(entry.get(key) or ()) for entry in entries}
