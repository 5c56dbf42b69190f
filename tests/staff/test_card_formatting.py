"""The card's "Last messages" as Telegram shows it: the bot's replies keep the bold and italic
the patient saw (Rasa's **bold** is formatting, never literal asterisks), patients' and
staff's words stay escaped, and a cut reply still parses."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from emulator.formatting import to_plain_text
from staff.card import render_card
from storage import CaseRef, MessageRef
from tests.staff.test_card import case_with

AT = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def case() -> CaseRef:
    return case_with({"asked": "difference?", "language": "en"})


def said(author: str, text: str | None, media_type: str | None = None) -> MessageRef:
    return MessageRef(
        id=1,
        patient_id=7,
        case_id=1,
        direction="out" if author == "bot" else "in",
        author=author,
        text=text,
        chat_id=7,
        telegram_message_id=None,
        media_type=media_type,
        file_id=None,
        staff_member_id=None,
        relayed_chat_id=None,
        relayed_message_id=None,
        created_at=AT,
    )


def shown(messages: list[MessageRef]) -> tuple[str, list[dict[str, Any]]]:
    """The card as Telegram would show it (the emulator's HTML parser, Telegram's rules)."""
    card = render_card(case(), "Asha <R> & co", {}, messages, None, "English")
    return to_plain_text(card, "HTML")


def formatted(plain: str, entities: list[dict[str, Any]], kind: str = "bold") -> list[str]:
    """The texts under entities of one kind (offsets are UTF-16 units; these cards have no
    character outside the BMP, so they are character offsets too)."""
    return [plain[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == kind]


def test_the_bots_bold_is_bold_on_the_card_and_patients_words_stay_as_typed() -> None:
    plain, entities = shown(
        [
            said("patient", "what's the difference? <b>really</b> & **why**"),
            said("bot", "The difference is mostly the **purpose**, _not_ the technique."),
            said("staff", "2 < 3 & **fine**"),
        ]
    )
    assert "bot: The difference is mostly the purpose, not the technique." in plain
    assert "**purpose**" not in plain
    assert "purpose" in formatted(plain, entities)
    assert "not" in formatted(plain, entities, "italic")
    # The patient's and the staff's words are shown exactly as typed, markup and all.
    assert "patient: what's the difference? <b>really</b> & **why**" in plain
    assert "staff: 2 < 3 & **fine**" in plain
    assert "Patient: Asha <R> & co" in plain
    assert "really" not in formatted(plain, entities)
    assert "why" not in formatted(plain, entities)


def test_a_long_bot_reply_cut_inside_its_bold_still_parses() -> None:
    text = "a" * 190 + " **Plastic (reconstructive) surgery** restores form"
    plain, entities = shown([said("bot", text)])
    line = next(row for row in plain.splitlines() if row.startswith("09:00 bot: "))
    assert line == "09:00 bot: " + "a" * 190 + " Plastic ("  # 200 characters shown
    assert "Plastic (" in formatted(plain, entities)


def test_the_bots_own_html_and_stray_markup_are_safe_on_the_card() -> None:
    plain, entities = shown(
        [
            said("bot", "Your case is <b>with a person</b> now: 5 < 6 & <i>open"),
            said("bot", None, "document"),
        ]
    )
    assert "bot: Your case is with a person now: 5 < 6 & <i>open" in plain
    assert "with a person" in formatted(plain, entities)
    assert "bot: [document]" in plain
