"""The patient's language is kept where their turn begins, chosen or decided by their words,
exported with their data, and each consent record keeps the language of its text."""

from __future__ import annotations

from storage import Repository
from storage.refs import IncomingRecord

CHAT = 801


def typed(text: str, message_id: int) -> IncomingRecord:
    return IncomingRecord(text, CHAT, message_id)


def pressed(payload: str) -> IncomingRecord:
    return IncomingRecord(payload, CHAT, None, media_type="button")


async def test_devanagari_makes_it_hindi_and_a_first_english_message_english(
    repo: Repository,
) -> None:
    first = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed("hello there", 1))
    assert (first.patient.language, first.patient.speaks, first.offer_language) == (
        "en",
        "en",
        False,
    )
    second = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed("नाक टेढ़ी है", 2))
    assert (second.patient.language, second.patient.speaks) == ("hi", "hi")
    third = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed("ok", 3))
    assert third.patient.speaks == "hi", "a short English word does not undo Hindi"


async def test_hinglish_is_offered_the_choice_once(repo: Repository) -> None:
    turns = [
        await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed(text, n))
        for n, text in enumerate(["mujhe kya karna chahiye", "aur kya hai", "theek hai ji"], 1)
    ]
    assert [turn.offer_language for turn in turns] == [True, False, False]
    assert turns[-1].patient.language is None  # Hinglish decides nothing by itself


async def test_telegrams_hindi_answers_a_button_in_hindi_and_offers_once(repo: Repository) -> None:
    first = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "hi", pressed("/start"))
    assert (first.patient.speaks, first.offer_language) == ("hi", True)
    second = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "hi", pressed("/ask_difference"))
    assert (second.patient.speaks, second.offer_language) == ("hi", False)
    assert second.patient.language is None  # a hint, not a choice


async def test_a_choice_is_kept_whatever_the_patient_writes_and_exported(
    repo: Repository,
) -> None:
    await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed("नमस्ते", 1))
    chosen = await repo.choose_language(CHAT, "en")
    assert chosen is not None and (chosen.language, chosen.language_chosen) == ("en", True)
    later = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "en", typed("मुझे दूसरी राय चाहिए", 2))
    assert later.patient.speaks == "en"
    exported = await repo.export_patient(CHAT)
    assert exported is not None
    profile = exported["patient"]
    assert profile["language"] == "en" and profile["language_chosen_at"]


async def test_a_consent_record_keeps_the_language_of_its_text(repo: Repository) -> None:
    turn = await repo.begin_patient_turn(CHAT, CHAT, "Asha", "hi", typed("हाँ", 1))
    record = await repo.record_consent(
        patient_id=turn.patient.id,
        clause_id="telehealth-1",
        version=1,
        text_sha256="a" * 64,
        decision="agreed",
        answered_message_id=None,
        language="hi",
    )
    assert record.language == "hi"
    in_force = await repo.consent_in_force(turn.patient.pseudonym)
    assert in_force["telehealth-1"].language == "hi"
    withdrawal = await repo.withdraw_consent(
        patient_id=turn.patient.id, clauses={"telehealth-1": 1}, answered_message_id=None
    )
    assert [r.language for r in withdrawal.withdrawn] == ["hi"]
