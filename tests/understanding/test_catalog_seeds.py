"""The catalog answers every procedure the client's seeds name with the seeds' own category.

The first seed lists cosmetic procedures ("Body contouring, liposuction, facial contouring,
reduction and lifting, skin rejuvenation, breast and cheek enlargement, botox, filler") and
plastic ones ("Burn repair surgery, congenital defect repair, scar revision surgery, hand
surgery, tissue enhancement and reduction"); plastic is `reconstructive` in the catalog.
The second seed names no single treatment: it sets cosmetic dermatology's non-surgical
treatments, done to enhance appearance, against plastic surgery, so the dermatology
treatments the design brief names (botox, fillers, peels, laser) are expected `cosmetic`.
A procedure whose category depends on its purpose must usually be the seeds' category.
"""

from __future__ import annotations

import pytest

from actions.procedures import Procedure, find_procedure, load_procedures

SEED_WORDINGS: tuple[tuple[str, str], ...] = (
    # First seed, cosmetic list.
    ("body contouring", "cosmetic"),
    ("liposuction", "cosmetic"),
    ("facial contouring", "cosmetic"),
    ("reduction and lifting", "cosmetic"),
    ("facial reduction", "cosmetic"),
    ("facial lifting", "cosmetic"),
    ("face lift", "cosmetic"),
    ("skin rejuvenation", "cosmetic"),
    ("breast enlargement", "cosmetic"),
    ("cheek enlargement", "cosmetic"),
    ("botox", "cosmetic"),
    ("filler", "cosmetic"),
    ("fillers", "cosmetic"),
    # First seed, plastic list.
    ("burn repair surgery", "reconstructive"),
    ("burn repair", "reconstructive"),
    ("congenital defect repair", "reconstructive"),
    ("scar revision surgery", "reconstructive"),
    ("scar revision", "reconstructive"),
    ("hand surgery", "reconstructive"),
    ("tissue enhancement and reduction", "reconstructive"),
    ("tissue enhancement", "reconstructive"),
    ("tissue reduction", "reconstructive"),
    ("tissue reconstruction", "reconstructive"),
    # Second seed: non-surgical cosmetic dermatology.
    ("chemical peel", "cosmetic"),
    ("laser resurfacing", "cosmetic"),
)


def _usual_category(procedure: Procedure) -> str | None:
    return procedure.usual if procedure.category == "depends" else procedure.category


@pytest.mark.parametrize(
    ("wording", "expected"), SEED_WORDINGS, ids=[wording for wording, _ in SEED_WORDINGS]
)
def test_seed_wording_finds_the_seed_category(wording: str, expected: str) -> None:
    procedure = find_procedure(wording)
    assert procedure is not None, f"{wording!r} names no procedure of the catalog"
    assert _usual_category(procedure) == expected, procedure.id


def test_every_purpose_dependent_procedure_has_a_usual_category() -> None:
    procedures = load_procedures()
    dependent = [p for p in procedures.values() if p.category == "depends"]
    assert dependent
    for procedure in dependent:
        categories = {answer.category for answer in procedure.by_purpose.values()}
        assert procedure.usual in categories, procedure.id
