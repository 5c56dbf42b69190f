"""The deterministic catalog matcher, tested over every term of content/procedures.yml:
spacing, hyphens, articles, plurals, typos and scripts are classes, so each is generated
from the whole catalog rather than from a few quoted sentences."""

from __future__ import annotations

import pytest

from actions.procedures import Procedure, load_procedures
from understanding.catalog import CatalogMatcher, catalog_matcher


def every_term() -> list[tuple[str, str]]:
    return [(p.id, term) for p in load_procedures().values() for term in p.terms]


def found_ids(text: str) -> list[str]:
    return [match.procedure_id for match in catalog_matcher().find(text)]


def latin_multiword_terms() -> list[tuple[str, str]]:
    return [(pid, term) for pid, term in every_term() if term.isascii() and " " in term]


def typo_variants(term: str) -> list[str]:
    """One swap of two inner letters and one dropped inner letter of the longest word."""
    word = max(term.split(), key=len)
    middle = len(word) // 2
    swapped = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    dropped = word[:middle] + word[middle + 1 :]
    return [term.replace(word, variant, 1) for variant in (swapped, dropped) if variant != word]


def test_every_term_names_its_procedure() -> None:
    wrong = [(pid, term, found_ids(term)) for pid, term in every_term() if found_ids(term) != [pid]]
    assert wrong == []


def test_every_term_is_found_inside_a_question() -> None:
    wrong = [
        (pid, term)
        for pid, term in every_term()
        if found_ids(f"hello, is {term} plastic or cosmetic?") != [pid]
    ]
    assert wrong == []


def test_hyphens_joined_words_and_articles_do_not_matter() -> None:
    wrong = []
    for pid, term in latin_multiword_terms():
        for written in (
            f"a {term.replace(' ', '-')}",
            f"the {term.replace(' ', '')}",
            term.upper(),
        ):
            if pid not in found_ids(f"what about {written}?"):
                wrong.append((pid, written))
    assert wrong == []


def test_plurals_are_the_same_procedure() -> None:
    wrong = [
        (pid, f"{term}s")
        for pid, term in every_term()
        if term.isascii()
        and term[-1].isalpha()
        and term[-1] != "s"
        and pid not in found_ids(f"are {term}s cosmetic")
    ]
    assert wrong == []


def test_one_typo_in_a_long_word_is_forgiven() -> None:
    wrong = []
    for pid, term in every_term():
        if not term.isascii() or len(max(term.split(), key=len)) < 7:
            continue
        for typo in typo_variants(term):
            if pid not in found_ids(typo):
                wrong.append((pid, typo))
    assert wrong == []


def test_devanagari_terms_are_matched_exactly_only() -> None:
    # One changed letter in Devanagari is often another word: कान (ear) / नाक (nose).
    assert found_ids("नाक की सर्जरी") == ["rhinoplasty"]
    assert found_ids("कान का ऑपरेशन") == []
    assert found_ids("दिल का ऑपरेशन") == []


@pytest.mark.parametrize(
    "text",
    [
        "Kessler fold lift",
        "my doctor said the surgery is risky",
        "is removing a chest tattoo cosmetic?",
        "more photos please",
        "I don't want to live any more",
        "knee replacement",
        "eye surgery",
        "cheek lift",
        "how much does it cost",
        "see u later",  # one letter from "laser"
        "nope, not ok with that",  # "not ok" is two words, one letter from "botok"
        # Everyday English words one letter from a term are no typo of it.
        "I want fuller lips",  # "filler"
        "the top layer of my skin",  # "laser"
        "my bottom is flat",  # "botox"
        "a bad tear in my ear",  # "bat ear"
    ],
)
def test_nothing_is_guessed_where_the_catalog_names_nothing(text: str) -> None:
    assert found_ids(text) == []


def test_an_everyday_word_beside_a_word_of_the_term_is_still_a_typo() -> None:
    assert found_ids("ear pining for my son") == ["otoplasty"]


def test_two_procedures_in_one_message_are_both_found_in_order() -> None:
    assert found_ids("tummy tuck and lipo together?") == ["abdominoplasty", "liposuction"]


def test_offsets_point_at_what_the_patient_wrote() -> None:
    text = "is a Face-Lift cosmetic?"
    [match] = catalog_matcher().find(text)
    assert text[match.start : match.end] == "Face-Lift"
    assert match.exact


def test_a_two_word_core_of_a_term_names_it() -> None:
    assert found_ids("repairing a congenital defect, plastic?") == ["congenital_defect_repair"]


def test_a_core_shared_by_two_procedures_names_neither() -> None:
    matcher = CatalogMatcher({"a": ["left ear repair"], "b": ["left ear surgery"]})
    assert matcher.find("left ear") == []
    assert [m.procedure_id for m in matcher.find("left ear repair")] == ["a"]


def test_matcher_and_loader_agree_on_the_catalog(procedures: dict[str, Procedure]) -> None:
    assert {pid for pid, _ in every_term()} == set(procedures)


@pytest.fixture(scope="module")
def procedures() -> dict[str, Procedure]:
    return load_procedures()
