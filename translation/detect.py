"""What a patient's own words say about their language."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_LATIN_WORD = re.compile(r"[a-z]+")
# Common Hindi words written in Latin letters; two of them make a message Hinglish.
_HINGLISH_MARKERS = frozenset(
    """
    hai hain kya nahi nahin nhi haan han ji mera meri mere mujhe mujhko aap aapka
    kaise kaisa kyun kyu karo karna karta karti kar raha rahi bola boli bataiye batao
    theek thik accha acha achha bhai yaar kuch bahut bhi aur lekin matlab chahiye
    hoga hogi sakta sakti baat dhanyavad shukriya namaste kitna kab
    """.split()
)


def has_devanagari(text: str) -> bool:
    return _DEVANAGARI.search(text) is not None


def hinglish_words(text: str) -> int:
    return sum(1 for word in _LATIN_WORD.findall(text.lower()) if word in _HINGLISH_MARKERS)


def is_hinglish(text: str) -> bool:
    """Hindi in Latin letters: two or more common Hindi words, and no Devanagari."""
    return not has_devanagari(text) and hinglish_words(text) >= 2


def guess_language(texts: Iterable[str]) -> str:
    """ "hi" if any Devanagari, "hinglish" if Hindi words in Latin script, else "en"."""
    count = 0
    for text in texts:
        if has_devanagari(text):
            return "hi"
        count += hinglish_words(text)
    return "hinglish" if count >= 2 else "en"


def telegram_hint(language_code: str | None) -> str | None:
    """Telegram's interface language as a hint: "hi" for a Hindi interface, else None."""
    return "hi" if (language_code or "").lower().startswith("hi") else None
