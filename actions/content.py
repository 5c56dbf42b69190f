"""The client's consent clauses and second-opinion criteria, read from `content/`.

Loaded lazily and cached: the action server reads each file once, on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
# Names another consent file (tests point it at a variant with a clause's version bumped);
# the gateway's storage.consent_texts reads the same variable.
CONSENT_FILE_ENV = "CONSENT_FILE"


def consent_file() -> Path:
    """content/consent.yml, unless CONSENT_FILE names another file."""
    return Path(os.environ.get(CONSENT_FILE_ENV) or CONTENT_DIR / "consent.yml")


@dataclass(frozen=True)
class Clause:
    id: str
    number: int
    version: int
    text: str
    explanation: str
    topics: tuple[re.Pattern[str], ...]

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


def consent_clauses(path: Path | None = None) -> tuple[Clause, ...]:
    """The telehealth clauses in the order they are asked."""
    return _consent_clauses(path or consent_file())


@lru_cache(maxsize=4)
def _consent_clauses(path: Path) -> tuple[Clause, ...]:
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


@lru_cache(maxsize=4)
def criteria(path: Path = CONTENT_DIR / "criteria.yml") -> tuple[Criterion, ...]:
    """The four second-opinion criteria, in the order they are asked."""
    data = _read_yaml(path)
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
