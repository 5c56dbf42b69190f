"""Command entities and markup parsing, as Telegram computes them."""

from __future__ import annotations

import pytest

from emulator.errors import ApiError
from emulator.formatting import command_entities, to_plain_text


def test_command_entities_use_utf16_offsets() -> None:
    assert command_entities("/start") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("😀 /help@triage_bot now") == [
        {"type": "bot_command", "offset": 3, "length": 16}
    ]
    assert command_entities("path/like/this and 1/2") == []


def test_html_gives_plain_text_and_entities() -> None:
    plain, entities = to_plain_text('<b>Case</b> <a href="https://x.test">link</a> &lt;3', "HTML")
    assert plain == "Case link <3"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "url": "https://x.test", "offset": 5, "length": 4},
    ]


@pytest.mark.parametrize("text", ["<div>x</div>", "<b>open", "a < b"])
def test_bad_html_is_rejected(text: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities"):
        to_plain_text(text, "HTML")


def test_markdown_v2_needs_escaping() -> None:
    assert to_plain_text(r"*Hi* Asha\! Case _A\-1_", "MarkdownV2")[0] == "Hi Asha! Case A-1"
    with pytest.raises(ApiError, match="reserved"):
        to_plain_text("Case A-1", "MarkdownV2")
