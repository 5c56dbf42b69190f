"""Rendering Rasa replies for Telegram."""

from __future__ import annotations

from bot.dialogue import Button
from bot.render import keyboard, split_text, to_html


def test_markdown_bold_becomes_html_and_everything_else_is_escaped() -> None:
    assert to_html("A **breast lift** is <b>cosmetic</b> & fine") == (
        "A <b>breast lift</b> is &lt;b&gt;cosmetic&lt;/b&gt; &amp; fine"
    )


def test_buttons_become_an_inline_keyboard_and_oversized_payloads_are_dropped() -> None:
    markup = keyboard(
        (Button("Yes", "/affirm"), Button("No", "/deny"), Button("Too long", "/x" + "y" * 80))
    )
    assert markup is not None
    rows = markup.inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["/affirm", "/deny"]]


def test_long_text_is_split_under_the_limit_without_losing_anything() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(120))
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
