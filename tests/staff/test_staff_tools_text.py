"""The staff tools' pure parts: splitting long replies, a recovered topic's transcript,
the topic errors, /note's text, the urgent topic name, durations, canned.yml."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram.error import BadRequest

from staff.canned import NAME, TELEGRAM_TEXT_LIMIT, shipped_replies, split_text, visible_length
from staff.notes import note_text
from staff.recovery import topic_gone, transcript_parts
from staff.stats import duration
from staff.urgent import urgent_topic_name


def test_a_long_reply_is_split_at_boundaries_within_the_limit() -> None:
    paragraph = "word " * 500  # 2,500 characters
    text = f"{paragraph.strip()}\n\n{paragraph.strip()}\n\n{paragraph.strip()}"
    parts = split_text(text, 4000)
    assert len(parts) == 2
    assert all(len(part) <= 4000 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())  # nothing lost
    assert parts[0].endswith("word") and parts[1].startswith("word")  # whole words


def test_a_text_without_spaces_is_cut_hard() -> None:
    parts = split_text("x" * 9000, 4000)
    assert [len(p) for p in parts] == [4000, 4000, 1000]


def test_a_short_reply_stays_whole() -> None:
    assert split_text("  Hello  ", 4000) == ["Hello"]


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>Ravi &amp; co</b> (care team):") == len("Ravi & co (care team):")


def test_shipped_canned_replies_have_valid_names_and_fit() -> None:
    replies = shipped_replies()
    assert {"greeting", "reports", "photos", "timeline", "closing"} <= set(replies)
    for name, text in replies.items():
        assert NAME.fullmatch(name), name
        assert 0 < len(text) < TELEGRAM_TEXT_LIMIT


@pytest.mark.parametrize(
    ("message", "gone"),
    [
        ("Bad Request: message thread not found", True),
        ("Message thread not found", True),
        ("TOPIC_DELETED", True),
        ("Bad Request: TOPIC_CLOSED", True),
        ("Bad Request: message to edit not found", False),
        ("Bad Request: chat not found", False),
    ],
)
def test_topic_errors_are_recognised(message: str, gone: bool) -> None:
    assert topic_gone(BadRequest(message)) is gone


def test_a_transcript_fits_in_three_messages_the_newest_kept() -> None:
    lines = [f"10:{i:02d} Patient: {'m' * 290} {i}" for i in range(60)]
    messages, omitted = transcript_parts("HEADER", lines)
    assert len(messages) <= 3
    assert all(len(m) <= TELEGRAM_TEXT_LIMIT for m in messages)
    assert messages[0].startswith("HEADER")
    assert omitted > 0 and messages[-1].endswith(" 59")  # the newest line is kept
    kept = "\n".join(messages).count("Patient:")
    assert kept + omitted == 60


def test_a_short_transcript_is_one_message() -> None:
    messages, omitted = transcript_parts("HEADER", ["a", "b"])
    assert messages == ["HEADER\na\nb"] and omitted == 0


def _message(text: str | None = None, caption: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(text=text, caption=caption)


def test_note_text() -> None:
    assert note_text(_message("/note asked for reports")) == "asked for reports"
    assert note_text(_message("/note@triage_bot  call back Monday")) == "call back Monday"
    assert note_text(_message("/note")) == ""
    assert note_text(_message(caption="/note scan from 2024")) == "scan from 2024"
    assert note_text(_message("/notebook")) is None
    assert note_text(_message("a /note inside")) is None
    assert note_text(_message()) is None


def test_urgent_topic_name() -> None:
    assert urgent_topic_name("1042 · Asha R · asked for a person") == (
        "🚨 1042 · Asha R · asked for a person"
    )
    assert urgent_topic_name("🚨 1042 · Asha") == "🚨 1042 · Asha"  # marked once
    assert len(urgent_topic_name("x" * 128)) == 128


def test_durations() -> None:
    assert duration(None) == "—"
    assert duration(42) == "42 s"
    assert duration(7 * 60 + 5) == "7 min"
    assert duration(3 * 3600 + 5 * 60) == "3 h 05 min"
    assert duration(50 * 3600) == "2 d 2 h"
