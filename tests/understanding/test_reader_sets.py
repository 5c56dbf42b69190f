"""The readers alone on the independent sets (no model, a few seconds): what they make of
every description and paraphrase holds the targets the whole pipeline is measured
against in bench/descriptions.py and bench/criteria.py, so a content change that breaks
a class fails here first. A reconstructive description read as cosmetic, and a negated
criterion read as met, are never allowed."""

from __future__ import annotations

import pytest

from actions.procedures import load_procedures
from bench.criteria import FIRST_SETS as CRITERIA_SETS
from bench.criteria import paraphrases
from bench.descriptions import FIRST_SETS as DESCRIPTION_SETS
from bench.descriptions import LABELS, descriptions
from understanding.catalog import catalog_matcher
from understanding.criteria import criteria_reader
from understanding.descriptions import DescriptionReading, description_reader

TARGET = 0.95


def category_read(reading: DescriptionReading) -> str:
    """The category the answer would lead with, "depends" for "usually ...", "question"."""
    if reading.unclear:
        return "question"
    if reading.procedure:
        procedure = load_procedures()[reading.procedure]
        if procedure.category != "depends":
            return procedure.category
        return procedure.by_purpose[reading.purpose].category if reading.purpose else "depends"
    if reading.part:
        if reading.purpose is None:
            return "depends"
        return "cosmetic" if reading.purpose == "appearance" else "reconstructive"
    return "reconstructive" if reading.causes else "question"


@pytest.fixture(scope="module")
def read_descriptions() -> list[tuple[str, str]]:
    matcher, reader = catalog_matcher(), description_reader()
    return [
        (
            d.label,
            category_read(reader.read(d.text, [(m.start, m.end) for m in matcher.find(d.text)])),
        )
        for d in descriptions(DESCRIPTION_SETS)
        if d.label in LABELS
    ]


def test_descriptions_are_read_right_at_the_target_rate(
    read_descriptions: list[tuple[str, str]],
) -> None:
    right = sum(1 for label, got in read_descriptions if label == got)
    assert right / len(read_descriptions) >= TARGET


def test_no_reconstructive_description_is_read_as_cosmetic(
    read_descriptions: list[tuple[str, str]],
) -> None:
    assert [got for label, got in read_descriptions if label == "reconstructive"].count(
        "cosmetic"
    ) == 0


def test_criteria_are_read_right_and_no_negated_one_as_met() -> None:
    reader = criteria_reader()
    said = paraphrases(CRITERIA_SETS)
    met = [frozenset(f.criterion for f in reader.read(p.text) if f.met) for p in said]
    assert sum(1 for p, m in zip(said, met, strict=True) if m == p.met) / len(said) >= TARGET
    assert [p.text for p, m in zip(said, met, strict=True) if m & p.negated] == []
