"""A rough guess of the patient's language, for the staff's case summary."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rasa_sdk import Tracker

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# Common Hindi words written in Latin letters; two of them make a message Hinglish.
_HINGLISH_MARKERS = frozenset(
    """
    hai hain kya nahi nahin nhi haan han ji mera meri mere mujhe mujhko aap aapka
    kaise kaisa kyun kyu karo karna karta karti kar raha rahi bola boli bataiye batao
    theek thik accha acha achha bhai yaar kuch bahut bhi aur lekin matlab chahiye
    hoga hogi sakta sakti baat dhanyavad shukriya namaste kitna kab
    """.split()
)


def guess_language(texts: Iterable[str]) -> str:
    """ "hi" if any Devanagari, "hinglish" if Hindi words in Latin script, else "en"."""
    hinglish_words = 0
    for text in texts:
        if _DEVANAGARI.search(text):
            return "hi"
        words = re.findall(r"[a-z]+", text.lower())
        hinglish_words += sum(1 for word in words if word in _HINGLISH_MARKERS)
    return "hinglish" if hinglish_words >= 2 else "en"


def typed_user_texts(tracker: Tracker) -> list[str]:
    """What the patient typed (button payloads such as "/affirm" are not language)."""
    return [
        str(event.get("text") or "")
        for event in tracker.events
        if event.get("event") == "user" and not str(event.get("text") or "").startswith("/")
    ]


def patient_language(tracker: Tracker) -> str:
    return guess_language(typed_user_texts(tracker))
