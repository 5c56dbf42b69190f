"""The criteria reader on its own: paraphrases in English, Hinglish and Devanagari, negation,
questions, several criteria in one message, and the patient's own words kept. Examples of
each class, written for this test (the measures are bench/criteria.py)."""

from __future__ import annotations

import pytest

from understanding.criteria import criteria_reader


def read(text: str) -> dict[str, bool]:
    return {f.criterion: f.met for f in criteria_reader().read(text)}


@pytest.mark.parametrize(
    ("text", "criterion"),
    [
        ("no doctor can tell me what this lump is", "unclear_diagnosis"),
        ("teen doctor, teen alag alag bimari bata rahe hain", "unclear_diagnosis"),
        ("डॉक्टर को भी पता नहीं चल रहा कि क्या बीमारी है", "unclear_diagnosis"),
        ("the tablets have not helped for months", "not_responding"),
        ("physio ke baad bhi koi fark nahi pada", "not_responding"),
        ("दवा का कोई असर नहीं हो रहा", "not_responding"),
        ("the surgeon said only one in a lakh people get this", "doctor_warned"),
        ("doctor bola operation me jaan ka khatra hai", "doctor_warned"),
        ("डॉक्टर ने कहा यह ऑपरेशन बहुत जोखिम भरा है", "doctor_warned"),
        ("honestly I don't believe a word my surgeon says anymore", "lost_confidence"),
        ("hospital wale bas paise loot rahe hain", "lost_confidence"),
        ("अब डॉक्टर पर भरोसा नहीं रहा", "lost_confidence"),
    ],
)
def test_each_criterion_is_met_in_the_patients_own_words(text: str, criterion: str) -> None:
    assert read(text) == {criterion: True}


@pytest.mark.parametrize(
    ("text", "criterion"),
    [
        ("my doctor is great, I trust him", "lost_confidence"),
        ("mujhe apne doctor pe pura bharosa hai", "lost_confidence"),
        ("the doctor said it is not risky at all", "doctor_warned"),
        ("doctor ne kaha ghabrane ki baat nahi, ye aam bimari hai", "doctor_warned"),
        ("the medicine is working well", "not_responding"),
        ("the diagnosis is clear, confirmed by biopsy", "unclear_diagnosis"),
    ],
)
def test_a_negated_criterion_is_known_not_met(text: str, criterion: str) -> None:
    assert read(text) == {criterion: False}


def test_one_message_may_meet_several_and_deny_another() -> None:
    assert read(
        "my surgeon says the operation is risky, nobody agrees on what I have, "
        "but the doctor is kind and I trust her"
    ) == {"doctor_warned": True, "unclear_diagnosis": True, "lost_confidence": False}


@pytest.mark.parametrize(
    "text",
    [
        "is the operation risky?",  # asked, not stated
        "what if it turns out to be rare",
        "trust me, I have all the reports scanned",
        "I want a second opinion just to be sure",
    ],
)
def test_questions_hypotheses_and_look_alikes_state_nothing(text: str) -> None:
    assert read(text) == {}


def test_the_patients_own_words_and_what_is_said_back_are_kept() -> None:
    text = "three doctors and nobody could figure out why I faint"
    [finding] = criteria_reader().read(text)
    assert finding.words(text) == "nobody could figure"
    assert finding.said == "no doctor has been able to tell what you have"
