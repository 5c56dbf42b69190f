"""The red-flag lexicon: each kind raised, each suppressor silencing, self-harm never
silenced, scripts mixed; the whole emergency and ordinary sets without the model."""

from __future__ import annotations

import pytest

from bench.sets import items
from bench.understanding import FRESH, emergencies, ordinary
from understanding.red_flags import find_red_flag, nlu_window, red_flag_lexicon


def kind(text: str) -> str | None:
    flag = find_red_flag(text)
    return flag.kind if flag else None


def test_the_lexicon_alone_catches_every_emergency_of_the_set() -> None:
    missed = [(i.kind, i.text) for i in emergencies() if find_red_flag(i.text) is None]
    assert missed == []


def test_the_fresh_sets_too() -> None:
    urgent, calm = (items(name) for name in FRESH)
    assert [i.text for i in urgent if find_red_flag(i.text) is None] == []
    assert [i.text for i in calm if find_red_flag(i.text) is not None] == []


def test_self_harm_of_the_set_gets_the_self_harm_reply() -> None:
    wrong = [
        i.text
        for i in emergencies()
        if (i.kind == "self_harm") != (find_red_flag(i.text).reply == "self_harm")
    ]
    assert wrong == []


def test_the_lexicon_raises_nothing_on_the_ordinary_set() -> None:
    raised = [(i.text, kind(i.text)) for i in ordinary() if find_red_flag(i.text)]
    assert raised == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i have severe chest pain", "chest_pain"),
        ("CANT BREATHE!!", "breathing"),
        ("my throat is closing up after the injection", "swelling"),
        ("the bleeding won't stop", "bleeding"),
        ("she fainted and won't wake up", "fainting"),
        ("skin turning white after the filler", "vascular_occlusion"),
        ("fever since yesterday and the wound is oozing", "wound_infection"),
        ("I don't want to live any more", "self_harm"),
        ("seene mein dard ho raha hai", "chest_pain"),
        ("saans नहीं ले पा रहा", "breathing"),
        ("सीने में तेज दर्द हो रहा है", "chest_pain"),
        ("mujhe ab jeena nahi hai", "self_harm"),
    ],
)
def test_each_kind_in_each_script(text: str, expected: str) -> None:
    assert kind(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain now",  # negated before
        "seene mein dard nahi hai",  # negated after, as Hindi puts it
        "my throat is not swollen",  # negation inside the span
        "I had breathing trouble years ago, is a revision rhinoplasty cosmetic?",  # past
        "can fillers cause blindness?",  # hypothetical
        "what if the bleeding won't stop after lipo?",  # hypothetical
        "ugh these quotes are giving me a heart attack 😂",  # humour
        "is a breathing problem fixed by septoplasty plastic?",  # category question
        "septoplasty for my breathing problem",  # purpose
    ],
)
def test_suppressors_silence_look_alikes(text: str) -> None:
    assert find_red_flag(text) is None


def test_a_suppressor_speaks_for_its_own_clause_only() -> None:
    assert kind("years ago I had a nose job, now I can't breathe") == "breathing"


def test_an_acute_word_overrides_a_category_question() -> None:
    assert kind("is this cosmetic? my throat is closing right now") == "swelling"


@pytest.mark.parametrize(
    "text",
    [
        "lol I want to die",  # humour does not silence self-harm
        "is it cosmetic surgery if I want to kill myself after it",  # nor a category word
        "I don't want to live any more",  # nor the negation inside the words
    ],
)
def test_self_harm_is_never_silenced(text: str) -> None:
    assert kind(text) == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "years ago I had suicidal thoughts, I'm doing well now",  # past, same clause
        "I'm not suicidal, just unhappy with my nose",  # the negation right before
    ],
)
def test_self_harm_is_silenced_only_by_the_past_or_an_adjacent_negation(text: str) -> None:
    assert find_red_flag(text) is None


def test_a_negation_further_away_does_not_silence_self_harm() -> None:
    assert kind("I'm not okay at all, I want to die") == "self_harm"


def test_calm_mentions_are_read_as_calm() -> None:
    lexicon = red_flag_lexicon()
    assert lexicon.read("no bleeding now, just a small scar").calm
    assert lexicon.read("कोई दर्द या सूजन नहीं है").calm
    assert not lexicon.read("I feel really unwell").calm


def test_typos_caps_and_emoji() -> None:
    assert kind("CHEST PIAN 😭😭") == "chest_pain"
    assert kind("cnt brth") == "breathing"
    assert kind("bleedin alot frm the surgery site") == "bleeding"


def test_a_red_flag_past_the_nlu_window_is_what_the_nlu_reads() -> None:
    filler = "I want to tell you about my day. " * 200
    text = f"{filler}Now my throat is closing up after the filler. {filler}"
    assert len(text) > 4096
    window = nlu_window(text, 1000)
    assert len(window) <= 1000
    assert find_red_flag(window) is not None
    assert nlu_window("short", 1000) == "short"
