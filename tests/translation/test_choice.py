"""Which language a patient is answered in (translation/choice.py)."""

from __future__ import annotations

import pytest

from translation.choice import Decision, decide, speaks


@pytest.mark.parametrize(
    ("stored", "chosen", "offered", "typed", "code", "expected"),
    [
        # Devanagari makes it Hindi, from English too, unless a choice was made.
        (None, False, False, "क्या बोटोक्स कॉस्मेटिक सर्जरी है?", "en", Decision("hi", False)),
        ("en", False, False, "मुझे दूसरी राय चाहिए", None, Decision("hi", False)),
        ("hi", False, False, "नाक", None, Decision(None, False)),
        ("en", True, True, "मुझे दूसरी राय चाहिए", None, Decision(None, False)),
        # Hinglish decides nothing, but offers the choice once.
        (None, False, False, "mujhe kya karna chahiye", None, Decision(None, True)),
        (None, False, True, "mujhe kya karna chahiye", None, Decision(None, False)),
        ("hi", False, False, "theek hai kya", None, Decision(None, True)),
        # A first English message makes it English; Hindi Telegram is offered the choice.
        (None, False, False, "is botox cosmetic?", "en-GB", Decision("en", False)),
        (None, False, False, "is botox cosmetic?", "hi", Decision("en", True)),
        ("hi", False, True, "ok", None, Decision(None, False)),
        # A button or a command decides nothing; Telegram's Hindi offers the choice once.
        (None, False, False, None, "hi", Decision(None, True)),
        (None, False, True, None, "hi", Decision(None, False)),
        (None, False, False, None, "en", Decision(None, False)),
    ],
)
def test_what_one_message_decides(
    stored: str | None,
    chosen: bool,
    offered: bool,
    typed: str | None,
    code: str | None,
    expected: Decision,
) -> None:
    assert decide(stored, chosen, offered, typed, code) == expected


def test_telegrams_hindi_is_a_hint_until_something_is_kept() -> None:
    assert speaks(None, "hi") == "hi"
    assert speaks(None, "hi-IN") == "hi"
    assert speaks("en", "hi") == "en"
    assert speaks(None, None) == "en"
    assert speaks(None, "en-US") == "en"
