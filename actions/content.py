"""The client's consent clauses and second-opinion criteria, read from `content/`.

Loaded lazily and cached: the action server reads each file once, on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.language import speaking
from translation import DEFAULT_LANGUAGE
from translation.consent import translated_clauses
from translation.overlay import localized_file

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
# Names another consent file (tests point it at a variant with a clause's version bumped);
# the gateway's storage.consent_texts reads the same variable.
CONSENT_FILE_ENV = "CONSENT_FILE"


def consent_file() -> Path:
    """content/consent.yml, unless CONSENT_FILE names another file."""
    return Path(os.environ.get(CONSENT_FILE_ENV) or CONTENT_DIR / "consent.yml")


@dataclass(frozen=True)
class Clause:
    """A clause as shown in one language: its version and hash are that language's."""

    id: str
    number: int
    version: int
    text: str
    explanation: str
    topics: tuple[re.Pattern[str], ...]
    language: str = DEFAULT_LANGUAGE

    @property
    def text_sha256(self) -> str:
        """Hash of the exact clause text shown to the patient (the consent record's proof)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def slot(self) -> str:
        return f"consent_{self.number}"


@dataclass(frozen=True)
class Criterion:
    """A second-opinion criterion; how patients say it is read by understanding/criteria.py."""

    id: str
    summary: str
    question: str


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _compile(patterns: list[str] | None) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns or [])


def consent_clauses(path: Path | None = None, language: str | None = None) -> tuple[Clause, ...]:
    """The telehealth clauses in the order they are asked, in a language (the call's)."""
    return _consent_clauses(path or consent_file(), language or speaking())


def current_version(clause_id: str, language: str) -> int | None:
    """The version of a clause's text in a language now."""
    return next((c.version for c in consent_clauses(None, language) if c.id == clause_id), None)


@lru_cache(maxsize=8)
def _consent_clauses(path: Path, language: str) -> tuple[Clause, ...]:
    translations = translated_clauses(language)
    return tuple(
        replace(
            clause,
            version=translations[clause.id].version,
            text=translations[clause.id].text,
            explanation=translations[clause.id].explanation,
            language=language,
        )
        if clause.id in translations
        else clause
        for clause in _english_clauses(path)
    )


@lru_cache(maxsize=4)
def _english_clauses(path: Path) -> tuple[Clause, ...]:
    data = _read_yaml(path)
    clauses = (
        Clause(
            id=str(item["id"]),
            number=int(item["number"]),
            version=int(item["version"]),
            text=str(item["text"]),
            explanation=str(item["explanation"]),
            topics=_compile(item.get("topics")),
        )
        for item in data["clauses"]
    )
    return tuple(sorted(clauses, key=lambda clause: clause.number))


def clause_by_slot(slot: str | None) -> Clause | None:
    return next((clause for clause in consent_clauses() if clause.slot == slot), None)


def criteria(language: str | None = None) -> tuple[Criterion, ...]:
    """The four second-opinion criteria, in the order they are asked, in a language."""
    return _criteria(language or speaking())


@lru_cache(maxsize=4)
def _criteria(language: str) -> tuple[Criterion, ...]:
    data = localized_file("criteria.yml", language)
    return tuple(
        Criterion(
            id=str(item["id"]),
            summary=str(item["summary"]),
            question=str(item["question"]),
        )
        for item in data["criteria"]
    )


def criterion_ids() -> tuple[str, ...]:
    return tuple(criterion.id for criterion in criteria())
