"""content/consent.lock binds each clause text to its version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from storage.consent_texts import (
    CONSENT_PATH,
    LOCK_PATH,
    check_lock,
    load_clauses,
    text_sha256,
    write_lock,
)


def test_the_committed_clauses_match_the_lock() -> None:
    assert check_lock() == []


def test_clauses_load_in_order_with_their_hashes() -> None:
    clauses = load_clauses()
    assert [clause.number for clause in clauses] == [1, 2, 3, 4, 5]
    assert all(clause.id and clause.text and clause.explanation for clause in clauses)
    first = clauses[0]
    assert first.text.startswith("I hereby authorize Health Care Services")
    assert first.sha256 == text_sha256(first.text)
    assert len({clause.sha256 for clause in clauses}) == 5


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    clauses, lock = tmp_path / "consent.yml", tmp_path / "consent.lock"
    shutil.copy(CONSENT_PATH, clauses)
    shutil.copy(LOCK_PATH, lock)
    return clauses, lock


def _edit_clause(path: Path, *, text: str, version: int | None = None) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    clause = document["clauses"][1]
    clause["text"] = text
    if version is not None:
        clause["version"] = version
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def test_a_text_changed_without_a_version_bump_is_caught(copies: tuple[Path, Path]) -> None:
    clauses, lock = copies
    assert check_lock(clauses, lock) == []
    original = load_clauses(clauses)[1].text
    _edit_clause(clauses, text=original.replace("may occur", "will rarely occur"))

    problems = check_lock(clauses, lock)
    assert len(problems) == 1
    assert "telehealth-2" in problems[0] and "without a version bump" in problems[0]
    with pytest.raises(ValueError, match="telehealth-2"):
        write_lock(clauses, lock)  # the lock cannot be rewritten to hide it


def test_a_new_version_passes_once_the_lock_is_written(copies: tuple[Path, Path]) -> None:
    clauses, lock = copies
    original = load_clauses(clauses)[1].text
    _edit_clause(clauses, text=original.replace("may occur", "will rarely occur"), version=2)

    assert ["version bumped" in problem for problem in check_lock(clauses, lock)] == [True]
    write_lock(clauses, lock)
    assert check_lock(clauses, lock) == []
    assert yaml.safe_load(lock.read_text())["telehealth-2"]["version"] == 2


def test_a_clause_missing_from_the_lock_is_caught(copies: tuple[Path, Path]) -> None:
    clauses, lock = copies
    entries = yaml.safe_load(lock.read_text())
    del entries["telehealth-5"]
    lock.write_text(yaml.safe_dump(entries))
    assert ["telehealth-5" in problem for problem in check_lock(clauses, lock)] == [True]
