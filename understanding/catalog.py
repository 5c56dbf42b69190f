"""Every procedure of `content/procedures.yml` that a message names, found deterministically.

A term matches when the message holds its words with any spacing ("face lift", "face-lift",
"facelift"), in the singular or plural, or with a small typo (optimal-string-alignment
distance: one edit in a 5-8 letter term, two from 9 letters, a swap of two letters
counting as one), never where every word is an everyday English word and none is the
term's own ("fuller" is no "filler", understanding/everyday.py). Hinglish and Devanagari
forms are terms of the catalog like any other.
A two-word core of a term ("congenital defect" of "congenital defect repair") names the
procedure too, so "repairing a congenital defect" is found.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from understanding.everyday import everyday_words
from understanding.procedure_catalog import load_procedures
from understanding.text import Token, tokenize

# A window of message words is compared with terms of up to this many words (plus one,
# for a term a patient wrote as one word less or more).
_EXTRA_WORDS = 1
_FUZZY_MIN_CHARS = 5
_TWO_EDITS_FROM = 9
# Words a typo-tolerant window must neither start nor end with: "is a face lift" must
# not stretch a term to "is a" or drift onto everyday words.
_EDGE_WORDS = frozenset(
    """
    a an the is it its this that my me i of for to in on or and be was are what which
    with after before from by at as do does did can could should would will
    plastic cosmetic surgery surgeon surgeries operation procedure treatment kind type
    category reconstructive aesthetic question know want get need about please pls plz
    kya hai hain ya hota hoti hoga ka ki ke ko se me mein ye yeh woh wo mera meri mere
    na nahi hi bhi aur toh to tha thi karna karwana karana chahiye chahta chahti
    """.split()
)
# Everyday words one letter from a short term, never read as its typo.
_EVERYDAY_NEAR_TERMS = frozenset({"later", "latest", "filter"})
# Generic words at a term's edge; what is left, if two words or more, names it too.
_GENERIC_WORDS = frozenset(
    """
    surgery surgeries surgary surgury operation repair repairs correction treatment
    procedure reconstruction release removal ka ki ke ilaj
    """.split()
)


@dataclass(frozen=True)
class CatalogMatch:
    procedure_id: str
    start: int  # character offsets in the message
    end: int
    term: str  # the catalog term, as folded
    exact: bool


@dataclass(frozen=True)
class _Candidate:
    match: CatalogMatch
    words: int


class CatalogMatcher:
    """Finds the catalog's procedures in messages; build once, then call `find`."""

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        """`terms`: procedure id -> every name and synonym a patient may write for it."""
        self._exact: dict[str, str] = {}
        self._words: dict[str, tuple[str, ...]] = {}
        # The most words any written form of a compact term has ("septo rhinoplasty").
        self._most_words: dict[str, int] = defaultdict(int)
        owners: dict[str, set[str]] = defaultdict(set)
        self._max_words = 1
        for procedure_id, written_terms in terms.items():
            for written in written_terms:
                keys = [token.key for token in tokenize(written)]
                if not keys:
                    continue
                self._max_words = max(self._max_words, len(keys))
                self._exact.setdefault("".join(keys), procedure_id)
                self._words.setdefault("".join(keys), tuple(keys))
                self._most_words["".join(keys)] = max(self._most_words["".join(keys)], len(keys))
                core = _core(keys)
                if core:
                    owners["".join(core)].add(procedure_id)
                    self._words.setdefault("".join(core), tuple(core))
                    self._most_words["".join(core)] = max(
                        self._most_words["".join(core)], len(core)
                    )
        for compact, procedure_ids in owners.items():
            # A core shared by two procedures names neither.
            if len(procedure_ids) == 1 and compact not in self._exact:
                self._exact[compact] = next(iter(procedure_ids))
        by_length: dict[int, list[str]] = defaultdict(list)
        for compact in self._exact:
            if len(compact) >= _FUZZY_MIN_CHARS and compact.isascii():
                by_length[len(compact)].append(compact)
        # For a window of length n, the terms within reach of its allowed edits.
        self._nearby: dict[int, tuple[str, ...]] = {}
        for length in range(_FUZZY_MIN_CHARS - 2, max(by_length, default=0) + 3):
            edits = 1 if length < _TWO_EDITS_FROM else 2
            self._nearby[length] = tuple(
                term
                for near in range(length - edits, length + edits + 1)
                for term in by_length.get(near, ())
            )
        # Everyday words that start or end some term: a window may start or end with them.
        self._edge_starts = {words[0] for words in self._words.values()} & _EDGE_WORDS
        self._edge_ends = {words[-1] for words in self._words.values()} & _EDGE_WORDS

    def find(self, text: str) -> list[CatalogMatch]:
        """The procedures `text` names, in order, none overlapping another."""
        tokens = tokenize(text)
        candidates = [
            candidate
            for start in range(len(tokens))
            for size in range(1, min(self._max_words + _EXTRA_WORDS, len(tokens) - start) + 1)
            if (candidate := self._candidate(text, tokens[start : start + size]))
        ]
        # Longer spans first, exact before fuzzy, then earlier; a chosen span blocks overlaps.
        candidates.sort(key=lambda c: (-c.words, not c.match.exact, c.match.start))
        chosen: list[CatalogMatch] = []
        for candidate in candidates:
            match = candidate.match
            if all(match.end <= other.start or match.start >= other.end for other in chosen):
                chosen.append(match)
        return sorted(chosen, key=lambda match: match.start)

    def _candidate(self, text: str, window: Sequence[Token]) -> _Candidate | None:
        compact = "".join(token.key for token in window)
        procedure_id = self._exact.get(compact)
        term, exact = compact, True
        if procedure_id is None:
            term = self._close_term(window, compact)
            if term is None:
                return None
            procedure_id, exact = self._exact[term], False
        match = CatalogMatch(procedure_id, window[0].start, window[-1].end, term, exact)
        return _Candidate(match, len(window))

    def _close_term(self, window: Sequence[Token], compact: str) -> str | None:
        if len(compact) < _FUZZY_MIN_CHARS or not compact.isascii():
            # Devanagari is typed with prediction, and one changed letter there is often
            # another word ("कान"/"नाक"): exact forms only.
            return None
        if _near_edge_word(window[0].key, self._edge_starts) or _near_edge_word(
            window[-1].key, self._edge_ends
        ):
            return None
        edits = _allowed_edits(compact)
        nearby = self._nearby.get(len(compact))
        if not nearby:
            return None
        best = process.extractOne(compact, nearby, scorer=OSA.distance, score_cutoff=edits)
        if best is None:
            return None
        term = best[0]
        return term if self._distinct_enough(window, term) else None

    def _distinct_enough(self, window: Sequence[Token], term: str) -> bool:
        """Whether the typo lies in what makes the term specific.

        Words both share at the edges ("surgery") are set aside and the edits allowed
        follow what is left: "lift surgery" is not "lipo surgery". An everyday word at
        the window's edge must be (a typo of) the term's own word there: "is a" never
        stretches a window onto a term.
        """
        words = list(self._words[term])
        keys = [token.key for token in window]
        if not set(keys) & set(words) and all(t.text in everyday_words() for t in window):
            # Everyday words are no typo: "fuller" is no "filler", "bad tear" no "bat ear";
            # beside a word of the term ("ear pining") one still is.
            return False
        if len(keys) > self._most_words[term] or keys[0] in _EVERYDAY_NEAR_TERMS:
            # "not ok" is no typo of "botok", nor "later" of "laser".
            return False
        if not _edges_agree(keys[0], words[0]) or not _edges_agree(keys[-1], words[-1]):
            return False
        while len(keys) > 1 and len(words) > 1 and keys[-1] == words[-1]:
            keys.pop()
            words.pop()
        while len(keys) > 1 and len(words) > 1 and keys[0] == words[0]:
            keys.pop(0)
            words.pop(0)
        rest, rest_term = "".join(keys), "".join(words)
        if len(rest_term) < _FUZZY_MIN_CHARS:
            return rest == rest_term
        return OSA.distance(rest, rest_term) <= _allowed_edits(rest_term)


def _allowed_edits(compact: str) -> int:
    return 1 if len(compact) < _TWO_EDITS_FROM else 2


def _near_edge_word(key: str, term_edges: set[str]) -> bool:
    """An everyday word no term has at that edge (nor a typo of one)."""
    if key not in _EDGE_WORDS or key in term_edges:
        return False
    return not any(OSA.distance(key, word) <= 1 for word in term_edges)


def _edges_agree(key: str, term_word: str) -> bool:
    if key not in _EDGE_WORDS:
        return True
    return OSA.distance(key, term_word) <= 1


def _core(keys: list[str]) -> list[str] | None:
    """A term without its generic first or last words, when two specific words remain."""
    core = list(keys)
    while core and core[-1] in _GENERIC_WORDS:
        core.pop()
    while core and core[0] in _GENERIC_WORDS:
        core.pop(0)
    if len(core) < 2 or core == keys:
        return None
    return core


@functools.lru_cache(maxsize=4)
def catalog_matcher(path: Path | None = None) -> CatalogMatcher:
    """The matcher over the procedure catalog (built once per process and path)."""
    procedures = load_procedures(path)
    return CatalogMatcher({pid: (pid.replace("_", " "), *p.terms) for pid, p in procedures.items()})
