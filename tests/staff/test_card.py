"""The case card shows what the assistant understood: the procedure and purpose, and each
criterion met with the patient's own words for it, escaped for Telegram's HTML."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from staff.card import language_label, render_card
from storage import CaseRef


def case_with(summary: dict[str, Any]) -> CaseRef:
    return CaseRef(
        id=1,
        patient_id=7,
        patient_pseudonym="p-7",
        status="queued",
        urgency="normal",
        reason="second_opinion",
        summary=summary,
        holder_staff_id=None,
        thread_id=None,
        card_message_id=None,
        rating=None,
        opened_at=datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc),
        queued_at=None,
        claimed_at=None,
        closed_at=None,
        last_renotified_at=None,
    )


def test_the_card_shows_the_understanding_and_the_patients_words() -> None:
    card = render_card(
        case_with(
            {
                "asked": "my ears stick out",
                "understood": "ear pinning (otoplasty) done for appearance",
                "criteria_met": ["unclear_diagnosis", "lost_confidence"],
                "criteria_words": {"unclear_diagnosis": "no doctor <can> tell"},
                "language": "en",
            }
        ),
        "Asha R",
        {},
        [],
        None,
    )
    assert "<b>Understood:</b> ear pinning (otoplasty) done for appearance" in card
    assert (
        "<b>Criteria met:</b> unclear diagnosis (“no doctor &lt;can&gt; tell”), lost confidence"
        in card
    )


def test_a_card_without_an_understanding_says_so_plainly() -> None:
    card = render_card(case_with({"asked": "hello"}), "Asha R", {}, [], None)
    assert "<b>Understood:</b> —" in card
    assert "<b>Criteria met:</b> —" in card


def test_the_card_names_the_patients_language_and_how_it_was_set() -> None:
    assert language_label("hi", True) == "Hindi (हिन्दी), chosen by the patient"
    assert language_label("en", False, "hinglish") == "English, writes Hinglish"
    card = render_card(
        case_with({"language": "hi"}), "Asha R", {}, [], None, language_label("hi", False)
    )
    assert "<b>Language:</b> Hindi (हिन्दी)\n" in card
