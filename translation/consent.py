"""The consent clauses' translations: each clause's text in a language has its own version.

content/hi/consent.yml holds, per clause id, the Hindi `version` and the leaves `text` and
`explanation`. A change to the Hindi text needs a new Hindi version (content/hi/consent.lock
binds each version to its text's hash, as content/consent.lock does for the English), and
a new version asks the patients who agreed to the old one again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from translation import DEFAULT_LANGUAGE
from translation.overlay import CONTENT_DIR, OVERLAY_DIRS, read_overlay


@dataclass(frozen=True)
class ClauseTranslation:
    version: int
    text: str
    explanation: str
    # The English version translated: when the English moves on, so must the translation.
    of_version: int


@functools.cache
def translated_clauses(language: str) -> dict[str, ClauseTranslation]:
    """clause id → its text in `language` (empty for English, the clauses' own language)."""
    if language == DEFAULT_LANGUAGE:
        return {}
    overlay = read_overlay("consent.yml", language) or {}
    return {
        str(item["id"]): ClauseTranslation(
            version=int(item["version"]),
            text=str(item["text"][language]),
            explanation=str(item["explanation"][language]),
            of_version=int(item["of_version"]),
        )
        for item in overlay.get("clauses") or []
    }


def lock_path(language: str) -> Path:
    """Where a language's clause versions are bound to their texts' hashes."""
    directory = OVERLAY_DIRS.get(language, CONTENT_DIR)
    return directory / "consent.lock"
