"""A patient who writes Hindi, through the whole journey in Hindi: /start, a procedure
question, the second opinion, the criteria, all five clauses, the receipt and the handoff.
Not one English sentence reaches them; /language switches to English and back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from storage.consent_texts import load_clauses
from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined, texts
from tests.translation.test_translations import latin_words
from translation.detect import has_devanagari

_BRACKETED = re.compile(r"\([^()]*\)")


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A world of its own: an emergency here leaves an urgent case waiting, which the
    session's world keeps out of other tests' queues."""
    started = await start_world(tmp_path_factory.mktemp("hindi"))
    yield started
    await stop_world(started)
_CASE_REFERENCE = re.compile(r"\b\d{4,}\b")


def english_in(records: list[dict]) -> list[str]:
    """The Latin words the patient was sent, in texts and buttons: procedure names in
    brackets after their Hindi, names, numbers and /commands are allowed."""
    found = []
    for record in records:
        for text in [*texts([record]), *button_labels(record)]:
            found += latin_words(_BRACKETED.sub(" ", text))
    return found


async def test_a_hindi_writer_is_answered_in_hindi_from_start_to_handoff(world: World) -> None:
    patient = await world.new_patient("अनन्या", "शर्मा", language_code="hi")
    hindi = {clause.number: clause for clause in load_clauses(language="hi")}

    start = await patient.send("/start")
    assert has_devanagari(joined(start))
    assert {"हिन्दी", "English"} <= set(button_labels(start[-1])), "the choice is offered once"
    chosen = await patient.press("हिन्दी")
    assert "हिन्दी" in joined(chosen)

    answer = await patient.send("क्या बोटोक्स कॉस्मेटिक सर्जरी है?")
    assert "कॉस्मेटिक" in joined(answer) and "(botox)" in joined(answer)

    await patient.press("दूसरी राय")
    told = await patient.send("डॉक्टर ने कहा ऑपरेशन रिस्की है और मुझे उन पर भरोसा नहीं है")
    assert "आपने बताया" in joined(told)
    questions = 0
    while "आगे बढ़ें" not in button_labels(patient.history[-1]):
        assert {"हाँ", "नहीं"} <= set(button_labels(patient.history[-1])), texts(patient.history[-2:])
        await patient.press("नहीं")
        questions += 1
        assert questions <= 2, "asked about criteria the patient already answered"
    assert questions == 2

    shown: dict[int, str] = {}
    asked_original: list[dict] = []
    page = await patient.press("आगे बढ़ें")
    for number in range(1, 6):
        text = " ".join(joined(page).split())
        assert " ".join(hindi[number].text.split()) in text, number
        assert "मूल पाठ (English)" in button_labels(page[-1])
        shown[number] = hindi[number].text
        if number == 3:
            asked_original = await patient.press("मूल पाठ (English)")
            english = load_clauses()[2].text
            assert " ".join(english.split()) in " ".join(joined(asked_original).split())
            page = await patient.send("हाँ")  # typed, after reading the original
        else:
            page = await patient.press("मैं सहमत हूँ")
    done = page

    documents = [r for r in done if r["kind"] == "document"]
    assert len(documents) == 1
    handoff = [t for t in texts(done) if _CASE_REFERENCE.search(t) and "केस" in t]
    assert handoff, texts(done)

    # Not one English sentence, but for the English original the patient asked to see.
    original_ids = {r["message_id"] for r in asked_original}
    assert english_in([r for r in patient.history if r["message_id"] not in original_ids]) == []

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None and stored.language == "hi" and stored.language_chosen
    records = await repository.consent_history(stored.id)
    assert [(r.clause_id, r.decision, r.language) for r in records] == [
        (f"telehealth-{n}", "agreed", "hi") for n in range(1, 6)
    ]
    for record, number in zip(records, range(1, 6), strict=True):
        assert record.version == hindi[number].version
        assert record.text_sha256 == hashlib.sha256(shown[number].encode()).hexdigest()

    await switch_to_english_and_back(patient)


async def switch_to_english_and_back(patient: Patient) -> None:
    offered = await patient.send("/language")
    assert {"हिन्दी", "English"} <= set(button_labels(offered[-1]))
    await patient.press("English")
    english = await patient.send("is botox cosmetic?")
    assert "Cosmetic" in joined(english) and not has_devanagari(joined(english))
    again = await patient.send("/language")
    assert "Which would you like?" in joined(again)  # worded in English now
    await patient.press("हिन्दी")
    back = await patient.send("क्या बोटोक्स कॉस्मेटिक सर्जरी है?")
    assert "कॉस्मेटिक" in joined(back) and "(botox)" in joined(back)


async def test_hinglish_is_offered_hindi_or_english_once_and_the_choice_kept(world: World) -> None:
    patient = await world.new_patient("Ravi", "K")
    first = await patient.send("mujhe naak ki surgery ke baare mein batao, kya ye cosmetic hai?")
    offer = first[-1]
    assert {"हिन्दी", "English"} <= set(button_labels(offer)), texts(first)
    again = await patient.send("aur kitna time lagta hai theek hone mein?")
    assert not any("हिन्दी" in button_labels(r) for r in again), "offered twice"
    await patient.press_on(offer, "हिन्दी")
    answer = await patient.send("naak ki surgery cosmetic hai kya?")
    assert has_devanagari(joined(answer)) and english_in(answer) == []


async def test_emergency_and_self_harm_guidance_come_in_hindi(world: World) -> None:
    patient = await world.new_patient("Meena", "S", language_code="hi")
    emergency = await patient.send("ऑपरेशन के बाद बहुत खून बह रहा है और रुक नहीं रहा")
    said = joined(emergency)
    assert "112" in said and has_devanagari(said) and english_in(emergency) == []
    crisis = await patient.send("मैं अब जीना नहीं चाहती, खुद को खत्म कर लूँगी")
    said = joined(crisis)
    assert "14416" in said and "Tele-MANAS" in said and has_devanagari(said)
    assert english_in(crisis) == []


async def test_clarifying_questions_digressions_and_the_fallback_come_in_hindi(
    world: World,
) -> None:
    patient = await world.new_patient("Kavya", "P", language_code="hi")
    unclear = await patient.send("मुझे कुछ ठीक करवाना है")
    assert has_devanagari(joined(unclear)) and english_in(unclear) == [], texts(unclear)
    nonsense = await patient.send("क्ष त्र ज्ञ")
    assert has_devanagari(joined(nonsense)) and english_in(nonsense) == [], texts(nonsense)
    await patient.send("मुझे दूसरी राय चाहिए")
    # Inside the criteria form, a procedure question is answered, then the form goes on.
    aside = await patient.send("राइनोप्लास्टी कॉस्मेटिक है क्या?")
    assert "(rhinoplasty)" in joined(aside) and english_in(aside) == [], texts(aside)
    assert {"हाँ", "नहीं"} <= set(button_labels(aside[-1]))
