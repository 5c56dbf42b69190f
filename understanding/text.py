"""Words of a message with their places in it, in any script the patients use."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# A Latin word's trailing "s" is dropped on both sides of a comparison, so "fillers" and
# "filler", "cheek implants" and "cheek implant" meet.
_PLURAL_S = re.compile(r"^([a-z]{2,}[^s])s$")


@dataclass(frozen=True)
class Token:
    text: str  # case and compatibility forms folded
    start: int  # offsets in the original message
    end: int

    @functools.cached_property
    def key(self) -> str:
        """The word as a catalog term is compared: singular (computed once per token)."""
        return singular(self.text)


def _is_word_char(char: str) -> bool:
    # Letters, digits and marks: Devanagari vowel signs are marks, not letters.
    return unicodedata.category(char)[0] in "LMN"


def fold(word: str) -> str:
    """Case and compatibility forms folded away."""
    return unicodedata.normalize("NFKC", word).casefold()


def singular(word: str) -> str:
    """A folded Latin word without its plural "s" (applied alike to message and catalog)."""
    return _PLURAL_S.sub(r"\1", word)


def tokenize(text: str) -> list[Token]:
    """The words of `text` with their offsets; zero-width joiners stay inside a word."""
    tokens: list[Token] = []
    start: int | None = None
    for index, char in enumerate(text):
        inside = _is_word_char(char) or (start is not None and unicodedata.category(char) == "Cf")
        if inside and start is None:
            start = index
        elif not inside and start is not None:
            tokens.append(_token(text, start, index))
            start = None
    if start is not None:
        tokens.append(_token(text, start, len(text)))
    return tokens


def _token(text: str, start: int, end: int) -> Token:
    word = "".join(ch for ch in text[start:end] if unicodedata.category(ch) != "Cf")
    return Token(fold(word), start, end)


def words(text: str) -> list[str]:
    """The folded words of `text`."""
    return [token.text for token in tokenize(text)]


def flat(text: str) -> str:
    """The folded words joined by single spaces: what lexicon patterns are matched against."""
    return " ".join(words(text))
