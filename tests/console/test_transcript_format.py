"""The case page shows the bot's replies formatted as the patient saw them, and nothing more."""

from __future__ import annotations

from console.pages.case import bot_text_html


def test_rasa_bold_and_italic_are_shown_as_formatting() -> None:
    shown = bot_text_html("**Usually cosmetic.** It is _reconstructive_ when it repairs.")
    assert shown == "<b>Usually cosmetic.</b> It is <i>reconstructive</i> when it repairs."


def test_the_few_tags_of_our_own_messages_are_kept() -> None:
    assert bot_text_html("Case <b>1042</b> is open.") == "Case <b>1042</b> is open."


def test_anything_else_stays_escaped_text() -> None:
    shown = bot_text_html('<script>alert(1)</script> <b onclick="x">hi</b> <a href="y">z</a>')
    assert "<script>" not in shown and "<a " not in shown and "onclick" not in shown.split("&")[0]
    assert "&lt;script&gt;" in shown and '&lt;b onclick="x"&gt;' in shown
