"""Every text a patient reads has its Hindi, with the same placeholders, marked reviewed or
not; the Hindi is Devanagari; the Hindi consent texts are locked to their versions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from storage.consent_texts import check_lock, load_clauses
from translation import status
from translation.consent import lock_path
from translation.overlay import CONTENT_DIR, is_leaf, localize, read_overlay, read_yaml

# Latin words a Hindi text may hold: names, and what Telegram or a file format calls itself.
ALLOWED_LATIN = {"MediPocket", "Tele-MANAS", "Telegram", "English", "JSON", "PDF", "SHA-256", "UTC"}
_COMMAND = re.compile(r"/[a-z_]+")
_BRACKETED = re.compile(r"\([^()]*[A-Za-z][^()]*\)")
_PLACEHOLDER = re.compile(r"\{\w+\}")
_MARKUP = re.compile(r"</?b>")
_HASH = re.compile(r"\b[0-9a-f]{64}\b")  # a SHA-256 is a number
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def latin_words(text: str) -> list[str]:
    """Latin words of a text outside placeholders, /commands, markup and allowed names."""
    for pattern in (_PLACEHOLDER, _COMMAND, _MARKUP, _HASH):
        text = pattern.sub(" ", text)
    return [w for w in _LATIN_WORD.findall(text) if w not in ALLOWED_LATIN]


def test_every_patient_text_has_its_hindi_with_the_same_placeholders() -> None:
    assert status.problems("hi") == []


def test_a_missing_text_a_stray_one_and_a_placeholder_change_are_each_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    overlay = read_overlay("dialogue.yml", "hi")
    replies = overlay["replies"]
    del replies["fallback"]  # a reply without its Hindi
    replies["procedure_cosmetic"][0]["text"]["hi"] = "**कॉस्मेटिक।** {reason}।"  # {name} lost
    replies["no_such_reply"] = [{"text": {"hi": "कुछ", "reviewed": False}}]
    real = status.read_overlay
    monkeypatch.setattr(
        status,
        "read_overlay",
        lambda name, language: overlay if name == "dialogue.yml" else real(name, language),
    )
    found = {(p.path, p.what) for p in status.problems("hi") if p.file == "dialogue.yml"}
    assert ("replies.fallback[0].text", "no translation") in found
    assert ("replies.fallback[0].buttons[0].title", "no translation") in found
    assert ("replies.procedure_cosmetic[0].text", "placeholders differ") in found
    assert ("replies.no_such_reply[0].text", "translates no patient text") in found


def _raw_leaves(node: Any) -> Iterator[dict[str, Any]]:
    if is_leaf(node):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _raw_leaves(value)
    elif isinstance(node, list):
        for item in node:
            yield from _raw_leaves(item)


@pytest.mark.parametrize("spec", status.file_specs(), ids=lambda spec: spec.name)
def test_each_hindi_text_says_whether_it_was_reviewed_and_is_devanagari(spec: Any) -> None:
    overlay = read_overlay(spec.name, "hi")
    assert overlay is not None, f"content/hi/{spec.name} is missing"
    leaves = list(_raw_leaves(overlay))
    assert leaves
    for leaf in leaves:
        assert isinstance(leaf["reviewed"], bool), leaf
        text = str(leaf["hi"])
        if spec.name == "procedures.yml":
            text = _BRACKETED.sub(" ", text)  # "नाक की सर्जरी (rhinoplasty)": the English name
        assert latin_words(text) == [], text


def test_the_latin_check_sees_english_left_in_a_hindi_text() -> None:
    assert latin_words("आपका केस {reference} हमारी care team के पास है, /help देखें।") == [
        "care",
        "team",
    ]
    assert latin_words("MediPocket पर Tele-MANAS 14416 को कॉल करें") == []


def test_the_overlay_matches_lists_with_ids_by_id_and_other_lists_by_position() -> None:
    base = {
        "items": [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}],
        "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    }
    overlay = {
        "items": [{"id": "b", "text": {"hi": "दो", "reviewed": False}}],
        "buttons": [{"title": {"hi": "हाँ", "reviewed": True}}, {}],
    }
    assert localize(base, overlay) == {
        "items": [{"id": "a", "text": "one"}, {"id": "b", "text": "दो"}],
        "buttons": [{"title": "हाँ", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    }


def test_each_hindi_clause_translates_the_current_english_version_and_is_locked() -> None:
    english = {clause.id: clause for clause in load_clauses()}
    overlay = read_overlay("consent.yml", "hi")
    assert {item["id"] for item in overlay["clauses"]} == set(english)
    for item in overlay["clauses"]:
        assert item["of_version"] == english[item["id"]].version, item["id"]
    assert check_lock(CONTENT_DIR / "consent.yml", lock_path("hi"), "hi") == []
    hindi = load_clauses(language="hi")
    assert all(clause.language == "hi" for clause in hindi)
    assert {c.sha256 for c in hindi}.isdisjoint({c.sha256 for c in english.values()})


def test_a_hindi_clause_changed_without_a_new_version_fails_the_lock(tmp_path: Any) -> None:
    lock = read_yaml(lock_path("hi"))
    lock["telehealth-2"]["sha256"] = "0" * 64  # as if the text had been edited since
    changed = tmp_path / "consent.lock"
    changed.write_text(__import__("yaml").safe_dump(lock), encoding="utf-8")
    problems = check_lock(CONTENT_DIR / "consent.yml", changed, "hi")
    assert problems and "telehealth-2" in problems[0]


def test_the_unreviewed_list_holds_every_text_not_signed_off() -> None:
    unreviewed = status.unreviewed("hi")
    total = sum(len(status.translations(spec, "hi")) for spec in status.file_specs())
    assert len(unreviewed) == total  # nobody has reviewed any yet
    assert all(not leaf.reviewed and leaf.english for leaf in unreviewed)
