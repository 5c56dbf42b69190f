"""The description reader on its own: the body part, the goal and the cause in English,
Hinglish and Devanagari, typos, negation, and the seeds' rule that a stated cause wins.
Examples of each class, written for this test (the measures are bench/descriptions.py)."""

from __future__ import annotations

import pytest

from understanding.catalog import catalog_matcher
from understanding.descriptions import DescriptionReading, description_reader


def read(text: str) -> DescriptionReading:
    named = [(m.start, m.end) for m in catalog_matcher().find(text)]
    return description_reader().read(text, named)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("my nose is crooked", "nose"),
        ("mere kaan bahut bade hai", "ears"),
        ("मेरे होंठ पतले हैं", "lips"),
        ("my brests are saggy", "breasts"),  # a typo the catalog would forgive too
        ("my stomache hangs over my jeans", "belly"),
        ("pet ki skin latak gayi hai", "belly"),
        ("my thighs rub together", "thighs"),
    ],
)
def test_the_body_part_is_read_in_every_script_and_with_typos(text: str, part: str) -> None:
    reading = read(text)
    assert reading.part is not None and reading.part.id == part


@pytest.mark.parametrize(
    ("text", "procedure", "purpose"),
    [
        ("want my love handles sucked out", "liposuction", "appearance"),
        ("mere kaan bahar nikle hue hain", "otoplasty", "appearance"),
        ("my nose was broken in an accident last year", "rhinoplasty", "function"),
        ("I want the bump on my nose gone, it's just for looks", "rhinoplasty", "appearance"),
        ("कुत्ते ने काटा था, कान का हिस्सा फट गया", "otoplasty", "function"),
        ("my son was born with two fingers stuck together", "syndactyly_release", "function"),
        ("after my mastectomy I want my breast rebuilt", "breast_reconstruction", "function"),
        ("heavy breasts giving me back pain for years", "breast_reduction", "function"),
    ],
)
def test_a_description_points_to_a_procedure_and_its_purpose(
    text: str, procedure: str, purpose: str
) -> None:
    reading = read(text)
    assert (reading.procedure, reading.purpose) == (procedure, purpose)


@pytest.mark.parametrize(
    "text",
    [
        "I got burned as a child, the skin on my elbow is still tight and I can't straighten it",
        "jalne ke baad gardan ki skin kheench gayi hai, sar upar nahi hota",
        "after the accident the scar pulls my eyelid down, I want it tightened",
        "my lips are thinner since the cancer operation and I want them fuller",
    ],
)
def test_a_stated_cause_wins_over_a_word_that_looks_cosmetic(text: str) -> None:
    reading = read(text)
    assert reading.purpose == "function"
    assert reading.procedure is None or reading.procedure not in {
        "facelift",
        "skin_rejuvenation",
        "lip_augmentation",
        "thread_lift",
    }


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("no injury, it's just for looks, I want my nose smaller", "appearance"),
        ("chot nahi lagi thi, bas naak achhi nahi lagti", "appearance"),
        ("my bite is totally fine, I just want a sharper jawline", "appearance"),
        ("it's not for looks, the skin fold gets infected every summer", "function"),
    ],
)
def test_a_denied_cause_or_goal_says_the_purpose_too(text: str, purpose: str) -> None:
    assert read(text).purpose == purpose


@pytest.mark.parametrize(
    "text",
    [
        "is getting my nose reshaped cosmetic?",  # a change, but not what for
        "naak ka size kam karwana hai",
        "my upper lid droops, is getting it lifted cosmetic?",
    ],
)
def test_a_change_without_a_purpose_is_not_a_guess(text: str) -> None:
    reading = read(text)
    assert reading.part is not None
    assert reading.purpose is None


def test_one_side_unlike_the_other_keeps_the_purpose_open() -> None:
    reading = read("one of my cheeks is smaller than the other, can it be evened out?")
    assert reading.purpose is None
    assert reading.procedure != "cheek_augmentation"


def test_something_wrong_and_nothing_more_is_unclear() -> None:
    assert read("something is wrong with my face, is it cosmetic?").unclear
    assert read("chehre pe kuch theek nahi lag raha").unclear
    assert not read("something is wrong with my nose since the accident").unclear


def test_a_named_procedures_own_words_are_not_read_as_a_description() -> None:
    # "reduction" inside "breast reduction" is the procedure's name, not a goal.
    reading = read("is breast reduction cosmetic?")
    assert reading.purpose is None and reading.procedure is None


@pytest.mark.parametrize(
    "text",
    [
        "is it risky to send my reports over telegram?",
        "my sister is getting married next month",
        "I will send the photos later",
        "my stable job pays for it",  # no "stab"
        "we painted the house",  # no "pain"
    ],
)
def test_ordinary_messages_describe_nothing(text: str) -> None:
    reading = read(text)
    assert not reading.found, reading
