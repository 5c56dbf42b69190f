"""The procedure knowledge (content/procedures.yml), its loader and finder, the generated
nlu/procedures.yml, and the held-out NLU test set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.procedures import (
    DEFAULT_CONTENT_PATH,
    DEFAULT_NLU_PATH,
    Procedure,
    find_procedure,
    load_procedures,
    main,
    normalize,
    parse_procedures,
    render_nlu,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
HELDOUT_PATH = REPO_ROOT / "tests" / "nlu" / "heldout.yml"

# Every procedure the client's seeds name, as the seeds word it.
SEED_NAMES = {
    "body contouring": "body_contouring",
    "liposuction": "liposuction",
    "facial contouring": "facial_contouring",
    "reduction and lifting": "body_lift",
    "skin rejuvenation": "skin_rejuvenation",
    "breast enlargement": "breast_augmentation",
    "cheek enlargement": "cheek_augmentation",
    "botox": "botox",
    "filler": "dermal_fillers",
    "burn repair": "burn_reconstruction",
    "burn repair surgery": "burn_reconstruction",
    "congenital defect repair": "congenital_defect_repair",
    "scar revision surgery": "scar_revision",
    "hand surgery": "hand_surgery",
    "tissue enhancement and reduction": "tissue_enhancement_reduction",
    "tissue enhancement": "tissue_enhancement_reduction",
    "tissue reduction": "tissue_enhancement_reduction",
}

# What patients commonly name, and the procedure they mean.
COMMON_NAMES = {
    "nose job": "rhinoplasty",
    "lipo": "liposuction",
    "tummy tuck": "abdominoplasty",
    "eyelid surgery": "blepharoplasty",
    "cleft lip": "cleft_lip_repair",
    "cleft palate": "cleft_palate_repair",
    "breast reconstruction after mastectomy": "breast_reconstruction",
    "breast reduction": "breast_reduction",
    "breast lift": "breast_lift",
    "chemical peel": "chemical_peel",
    "laser resurfacing": "laser_resurfacing",
    "laser hair removal": "laser_hair_removal",
    "hair transplant": "hair_transplant",
    "facelift": "facelift",
    "brow lift": "brow_lift",
    "chin surgery": "chin_augmentation",
    "jaw surgery": "jaw_surgery",
    "ear pinning": "otoplasty",
    "gynecomastia": "gynecomastia_surgery",
    "skin graft": "skin_grafting",
    "pressure sore": "pressure_sore_repair",
    "microtia": "microtia_repair",
    "syndactyly": "syndactyly_release",
    "carpal tunnel": "carpal_tunnel_release",
    "tattoo removal": "tattoo_removal",
    "mole removal": "mole_removal",
    "acne scar treatment": "acne_scar_treatment",
    "microdermabrasion": "microdermabrasion",
    "thread lift": "thread_lift",
    "vaginoplasty": "vaginoplasty",
    "labiaplasty": "labiaplasty",
    "dimpleplasty": "dimpleplasty",
    "lip fillers": "lip_augmentation",
    "brazilian butt lift": "buttock_augmentation",
    "arm lift": "arm_lift",
    "thigh lift": "thigh_lift",
    "mommy makeover": "mommy_makeover",
    "septoplasty with rhinoplasty": "septorhinoplasty",
    "facial paralysis reanimation": "facial_reanimation",
    "hemangioma": "vascular_malformation_treatment",
    "vascular malformation": "vascular_malformation_treatment",
    "keloid": "keloid_treatment",
    "vitiligo surgery": "vitiligo_surgery",
    "hydrafacial": "hydrafacial",
}

# Ids other parts of the project (training data, stories) refer to.
CONTRACT_IDS = {
    "rhinoplasty",
    "breast_lift",
    "liposuction",
    "abdominoplasty",
    "blepharoplasty",
    "cleft_lip_repair",
    "botox",
    "dermal_fillers",
    "breast_reduction",
    "breast_reconstruction",
    "burn_reconstruction",
    "scar_revision",
    "chemical_peel",
    "laser_resurfacing",
    "hair_transplant",
}

HELDOUT_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "help",
    "affirm",
    "deny",
    "ask_difference",
    "ask_procedure_category",
    "inform_purpose",
    "ask_dermatology",
    "ask_certification",
    "request_second_opinion",
    "inform_criteria",
    "ask_consent_question",
    "request_human",
    "emergency",
    "out_of_scope",
)
CRITERIA = {"unclear_diagnosis", "not_responding", "doctor_warned", "lost_confidence"}
PURPOSES = {"appearance", "function"}


@pytest.fixture(scope="module")
def procedures() -> dict[str, Procedure]:
    return load_procedures()


def _valid_entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "breast_lift",
        "name": "breast lift",
        "category": "cosmetic",
        "surgical": True,
        "reason": "reshapes the body for appearance",
        "synonyms": ["mastopexy"],
    }
    entry.update(overrides)
    return entry


# --- the content ----------------------------------------------------------------------


def test_at_least_45_procedures(procedures: dict[str, Procedure]) -> None:
    assert len(procedures) >= 45


def test_contract_ids_exist(procedures: dict[str, Procedure]) -> None:
    assert CONTRACT_IDS <= set(procedures)


@pytest.mark.parametrize("name, expected_id", sorted({**SEED_NAMES, **COMMON_NAMES}.items()))
def test_named_procedures_are_findable(name: str, expected_id: str) -> None:
    found = find_procedure(name)
    assert found is not None, name
    assert found.id == expected_id


def test_categories_are_valid(procedures: dict[str, Procedure]) -> None:
    for procedure in procedures.values():
        assert procedure.category in {"cosmetic", "reconstructive", "depends"}, procedure.id
        assert procedure.reason and procedure.name and procedure.synonyms, procedure.id


def test_depends_entries_answer_both_purposes(procedures: dict[str, Procedure]) -> None:
    for procedure in procedures.values():
        if procedure.category == "depends":
            assert set(procedure.by_purpose) == PURPOSES, procedure.id
            assert procedure.by_purpose["appearance"].category == "cosmetic", procedure.id
            assert procedure.by_purpose["function"].category == "reconstructive", procedure.id
        else:
            assert procedure.by_purpose == {}, procedure.id


@pytest.mark.parametrize(
    "procedure_id",
    [
        "rhinoplasty",
        "blepharoplasty",
        "breast_reduction",
        "abdominoplasty",
        "jaw_surgery",
        "septorhinoplasty",
    ],
)
def test_purpose_dependent_procedures(procedures: dict[str, Procedure], procedure_id: str) -> None:
    assert procedures[procedure_id].category == "depends"


@pytest.mark.parametrize(
    "procedure_id, category",
    [
        ("breast_lift", "cosmetic"),
        ("liposuction", "cosmetic"),
        ("botox", "cosmetic"),
        ("dermal_fillers", "cosmetic"),
        ("chemical_peel", "cosmetic"),
        ("cleft_lip_repair", "reconstructive"),
        ("burn_reconstruction", "reconstructive"),
        ("breast_reconstruction", "reconstructive"),
        ("hand_surgery", "reconstructive"),
        ("congenital_defect_repair", "reconstructive"),
    ],
)
def test_clear_cut_categories(
    procedures: dict[str, Procedure], procedure_id: str, category: str
) -> None:
    assert procedures[procedure_id].category == category


def test_non_surgical_dermatology_is_marked(procedures: dict[str, Procedure]) -> None:
    for procedure_id in ("botox", "dermal_fillers", "chemical_peel", "laser_resurfacing"):
        assert procedures[procedure_id].surgical is False, procedure_id
    assert procedures["rhinoplasty"].surgical is True


def test_synonyms_belong_to_one_procedure(procedures: dict[str, Procedure]) -> None:
    owners: dict[str, set[str]] = {}
    for procedure in procedures.values():
        for term in (procedure.id, procedure.name, *procedure.synonyms):
            owners.setdefault(normalize(term), set()).add(procedure.id)
    shared = {term: ids for term, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_synonyms_include_hinglish_and_devanagari(procedures: dict[str, Procedure]) -> None:
    all_synonyms = [s for p in procedures.values() for s in p.synonyms]
    devanagari = [s for s in all_synonyms if any("\u0900" <= c <= "\u097f" for c in s)]
    assert len(devanagari) >= 20
    assert "naak ki surgery" in procedures["rhinoplasty"].synonyms


def test_procedure_is_hashable(procedures: dict[str, Procedure]) -> None:
    assert len({procedures["rhinoplasty"], procedures["breast_lift"]}) == 2


# --- validation -----------------------------------------------------------------------


def test_valid_document_parses() -> None:
    parsed = parse_procedures({"procedures": [_valid_entry()]})
    assert parsed["breast_lift"].synonyms == ("mastopexy",)


@pytest.mark.parametrize(
    "entries, message",
    [
        ([_valid_entry(category="aesthetic")], "unknown category"),
        ([_valid_entry(category="depends")], "by_purpose"),
        (
            [
                _valid_entry(
                    category="depends",
                    by_purpose={"appearance": {"category": "cosmetic", "reason": "looks"}},
                )
            ],
            "by_purpose",
        ),
        (
            [
                _valid_entry(
                    by_purpose={
                        "appearance": {"category": "cosmetic", "reason": "looks"},
                        "function": {"category": "reconstructive", "reason": "works"},
                    }
                )
            ],
            "only for category 'depends'",
        ),
        ([_valid_entry(), _valid_entry(synonyms=[])], "duplicate procedure id"),
        (
            [
                _valid_entry(),
                _valid_entry(
                    id="breast_lift_two", name="breast uplift two", synonyms=["Mastopexy!"]
                ),
            ],
            "duplicate synonym",
        ),
        ([_valid_entry(surgical="yes")], "surgical"),
        ([_valid_entry(id="Breast Lift")], "snake_case"),
        ([_valid_entry(synonyms=["[mastopexy](procedure)"])], "markup"),
        ([_valid_entry(reason="")], "reason"),
    ],
)
def test_invalid_documents_are_rejected(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_procedures({"procedures": entries})


def test_load_procedures_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "procedures.yml"
    bad.write_text(yaml.safe_dump({"procedures": [_valid_entry(category="maybe")]}))
    with pytest.raises(ValueError, match=r"procedures\.yml.*unknown category 'maybe'"):
        load_procedures(bad)


# --- finding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected_id",
    [
        ("Breast Lift", "breast_lift"),
        ("  breast   LIFT?? ", "breast_lift"),
        ("breast_lift", "breast_lift"),
        ("brest lift", "breast_lift"),
        ("mastopexy", "breast_lift"),
        ("rhinoplasti", "rhinoplasty"),
        ("rhinoplastty", "rhinoplasty"),
        ("liposuction", "liposuction"),
        ("liposucion", "liposuction"),
        ("LIPO", "liposuction"),
        ("botex", "botox"),
        ("filers", "dermal_fillers"),
        ("naak ki surgery", "rhinoplasty"),
        ("Naak ki surgery!", "rhinoplasty"),
        ("नाक की सर्जरी", "rhinoplasty"),
        ("pet ki charbi nikalna", "liposuction"),
        ("jale ka ilaj", "burn_reconstruction"),
        ("kate hont ki surgery", "cleft_lip_repair"),
        ("tummy tuk", "abdominoplasty"),
        ("breast lift surgery", "breast_lift"),
    ],
)
def test_find_procedure(typed: str, expected_id: str) -> None:
    found = find_procedure(typed)
    assert found is not None, typed
    assert found.id == expected_id


@pytest.mark.parametrize(
    "typed",
    [
        "Kessler fold lift",
        "kessler fold lift surgery",
        "",
        "   ",
        "?!",
        "lift",
        "nose",
        "surgery",
        "eye surgery",
        "knee replacement",
        "cheek lift",
        "is removing a chest tattoo",
    ],
)
def test_unknown_names_are_not_guessed(typed: str) -> None:
    assert find_procedure(typed) is None


# --- the generated NLU file -----------------------------------------------------------


def test_nlu_file_is_in_sync_with_content() -> None:
    assert main(["--check"]) == 0, "run: .venv/bin/python -m actions.procedures"


def test_check_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "procedures.yml"
    stale.write_text(DEFAULT_NLU_PATH.read_text(encoding="utf-8").replace("mastopexy", "x"))
    assert main(["--check", "--nlu", str(stale)]) == 1
    assert main(["--check", "--nlu", str(tmp_path / "missing.yml")]) == 1
    assert main(["--nlu", str(stale)]) == 0
    assert main(["--check", "--nlu", str(stale)]) == 0


def test_generated_nlu_loads_in_rasa(procedures: dict[str, Procedure], tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    nlu_file = tmp_path / "procedures.yml"
    nlu_file.write_text(render_nlu(procedures), encoding="utf-8")
    training_data = load_data(str(nlu_file))

    assert nlu_file.read_text(encoding="utf-8").startswith("# GENERATED")
    (lookup,) = training_data.lookup_tables
    assert lookup["name"] == "procedure"
    elements = {element.casefold() for element in lookup["elements"]}
    for procedure in procedures.values():
        for term in procedure.terms:
            assert term.casefold() in elements, term
            if term.casefold() != procedure.id:
                assert training_data.entity_synonyms[term.casefold()] == procedure.id, term
    assert training_data.entity_synonyms["nose job"] == "rhinoplasty"
    assert training_data.entity_synonyms["नाक की सर्जरी"] == "rhinoplasty"


def test_default_paths_point_into_the_repo() -> None:
    assert DEFAULT_CONTENT_PATH == REPO_ROOT / "content" / "procedures.yml"
    assert DEFAULT_NLU_PATH == REPO_ROOT / "nlu" / "procedures.yml"


# --- the held-out NLU test set --------------------------------------------------------


@pytest.fixture(scope="module")
def heldout() -> Any:
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(HELDOUT_PATH))


def test_heldout_has_ten_examples_per_intent(heldout: Any) -> None:
    counts = Counter(example.get("intent") for example in heldout.intent_examples)
    assert set(counts) == set(HELDOUT_INTENTS)
    short = {intent: counts[intent] for intent in HELDOUT_INTENTS if counts[intent] < 10}
    assert short == {}


def test_heldout_entity_values_are_known(heldout: Any) -> None:
    for example in heldout.intent_examples:
        for entity in example.get("entities") or []:
            surface = example.get("text")[entity["start"] : entity["end"]]
            if entity["entity"] == "procedure":
                found = find_procedure(surface)
                if found is None:  # a deliberately unknown procedure keeps its own text
                    assert entity["value"] == surface
                else:
                    assert found.id == entity["value"], surface
            elif entity["entity"] == "purpose":
                assert entity["value"] in PURPOSES, surface
            else:
                assert entity["entity"] == "criterion", entity
                assert entity["value"] in CRITERIA, surface


def test_heldout_has_the_tricky_cases(heldout: Any) -> None:
    intent_of = {example.get("text"): example.get("intent") for example in heldout.intent_examples}
    assert intent_of["is removing a tattoo from my chest cosmetic?"] == "ask_procedure_category"
    assert intent_of["the operation has some risk in it, my doctor told me"] == "inform_criteria"
    unknown_procedure = "a Kessler fold lift, would that be cosmetic or plastic surgery"
    assert intent_of[unknown_procedure] == "ask_procedure_category"


def test_heldout_is_not_in_the_training_data(heldout: Any) -> None:
    """A held-out example that is also trained on measures nothing. Two people writing
    separately will both write "nahi ji" now and then, so only a few one- or two-word
    coincidences are tolerated; a longer sentence in both files is a copy."""
    from rasa.shared.nlu.training_data.loading import load_data

    trained = {
        normalize(example.get("text"))
        for path in sorted((REPO_ROOT / "nlu").glob("*.yml"))
        for example in load_data(str(path)).intent_examples
    }
    texts = [normalize(example.get("text")) for example in heldout.intent_examples]
    overlap = [text for text in texts if text in trained]
    assert [text for text in overlap if len(text.split()) >= 3] == []
    assert len(overlap) <= len(texts) // 20, overlap
