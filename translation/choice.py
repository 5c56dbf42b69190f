"""Which language a patient is answered in, from what they write and what they chose.

- A choice (a button of the offer, or /language) is kept: nothing they write changes it.
- Otherwise a message in Devanagari makes it Hindi; a first typed message in English makes
  it English; Hinglish in Latin letters decides nothing, but is offered हिन्दी / English
  once, with two buttons.
- Until something decides, Telegram's interface language is a hint ("hi" answers in
  Hindi, and offers the choice once).
"""

from __future__ import annotations

from dataclasses import dataclass

from translation import DEFAULT_LANGUAGE
from translation.detect import has_devanagari, is_hinglish, telegram_hint


@dataclass(frozen=True)
class Decision:
    """The language to keep on the patient (None: leave it as it is) and whether to offer."""

    store: str | None
    offer: bool


def decide(
    stored: str | None,
    chosen: bool,
    offered: bool,
    typed: str | None,
    language_code: str | None,
) -> Decision:
    """What one incoming message decides. `typed` is None for a button or a command."""
    if chosen:
        return Decision(None, False)
    text = (typed or "").strip()
    if text and has_devanagari(text):
        return Decision("hi" if stored != "hi" else None, False)
    if text and is_hinglish(text):
        return Decision(None, not offered)
    if stored is None and text and any(char.isalpha() for char in text):
        return Decision(DEFAULT_LANGUAGE, not offered and telegram_hint(language_code) is not None)
    if stored is None and telegram_hint(language_code) is not None:
        return Decision(None, not offered)
    return Decision(None, False)


def speaks(stored: str | None, language_code: str | None) -> str:
    """The language to answer in now: the stored one, else Telegram's hint, else English."""
    return stored or telegram_hint(language_code) or DEFAULT_LANGUAGE
