"""The procedure catalog of `content/procedures.yml`: its records, and their loading and
validation. The catalog matcher (understanding/catalog.py) and the description reader build
on it; the actions answer from it (actions/procedures.py finds a procedure in typed text and
generates `nlu/procedures.yml` from it).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONTENT_PATH = REPO_ROOT / "content" / "procedures.yml"

CATEGORIES = ("cosmetic", "reconstructive", "depends")
PURPOSE_CATEGORIES = ("cosmetic", "reconstructive")
PURPOSES = ("appearance", "function")

# Characters Rasa's training-data reader would take for entity markup or comments.
_FORBIDDEN_IN_TERMS = re.compile(r"[\[\](){}\"#\n|]")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class PurposeAnswer:
    category: str  # "cosmetic" | "reconstructive"
    reason: str


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    category: str  # "cosmetic" | "reconstructive" | "depends"
    reason: str
    surgical: bool
    synonyms: tuple[str, ...]
    # Keys "appearance" and "function"; empty unless category == "depends".
    # Left out of the hash so a Procedure stays hashable despite holding a dict.
    by_purpose: dict[str, PurposeAnswer] = field(default_factory=dict, hash=False)
    # For "depends": the category it usually is, which the answer leads with.
    usual: str | None = None

    @property
    def usual_purpose(self) -> str | None:
        """The purpose ("appearance" or "function") whose category is the usual one."""
        return next((p for p, a in self.by_purpose.items() if a.category == self.usual), None)

    @property
    def exception_purpose(self) -> str | None:
        """The purpose that makes a purpose-dependent procedure the other category."""
        return next((p for p, a in self.by_purpose.items() if a.category != self.usual), None)

    @property
    def terms(self) -> tuple[str, ...]:
        """Everything a patient may type for this procedure: its name, then synonyms."""
        return (self.name, *self.synonyms)


def normalize(text: str) -> str:
    """Lower-case, drop punctuation and symbols, collapse whitespace.

    Works on categories rather than `\\w` so Devanagari vowel signs (marks, not letters)
    survive.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [_normalized_char(char) for char in text]
    return " ".join("".join(kept).split())


def _normalized_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":
        # Zero-width joiners shape Devanagari conjuncts; dropping them keeps words whole.
        return ""
    return " " if category[0] in "PSZC" else char


# --- loading and validation -------------------------------------------------------------


def _require_text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _parse_purposes(raw: Any, where: str) -> dict[str, PurposeAnswer]:
    if not isinstance(raw, Mapping) or set(raw) != set(PURPOSES):
        raise ValueError(
            f"{where}: category 'depends' needs by_purpose with exactly {list(PURPOSES)}"
        )
    answers: dict[str, PurposeAnswer] = {}
    for purpose in PURPOSES:
        answer = raw[purpose]
        spot = f"{where}, by_purpose.{purpose}"
        if not isinstance(answer, Mapping):
            raise ValueError(f"{spot}: must be a mapping with category and reason")
        category = answer.get("category")
        if category not in PURPOSE_CATEGORIES:
            raise ValueError(f"{spot}: category {category!r} is not one of {PURPOSE_CATEGORIES}")
        reason = _require_text(answer, "reason", spot)
        answers[purpose] = PurposeAnswer(category=category, reason=reason)
    if answers["appearance"].category == answers["function"].category:
        raise ValueError(f"{where}: both purposes give the same category; it does not depend")
    return answers


def _parse_synonyms(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError(f"{where}: 'synonyms' must be a list of strings")
    return tuple(item.strip() for item in raw)


def _parse_procedure(entry: Any, index: int) -> Procedure:
    if not isinstance(entry, Mapping):
        raise ValueError(f"procedure #{index + 1}: must be a mapping")
    procedure_id = _require_text(entry, "id", f"procedure #{index + 1}")
    where = f"procedure {procedure_id!r}"
    if not _ID_PATTERN.match(procedure_id):
        raise ValueError(f"{where}: id must be snake_case")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise ValueError(f"{where}: unknown category {category!r}; use one of {CATEGORIES}")
    surgical = entry.get("surgical")
    if not isinstance(surgical, bool):
        raise ValueError(f"{where}: 'surgical' must be true or false")
    usual = entry.get("usual")
    if category == "depends":
        by_purpose = _parse_purposes(entry.get("by_purpose"), where)
        if usual not in PURPOSE_CATEGORIES:
            raise ValueError(
                f"{where}: category 'depends' needs 'usual', one of {PURPOSE_CATEGORIES}"
            )
    elif entry.get("by_purpose") or usual is not None:
        raise ValueError(f"{where}: by_purpose and usual are only for category 'depends'")
    else:
        by_purpose = {}
    return Procedure(
        id=procedure_id,
        name=_require_text(entry, "name", where),
        category=category,
        reason=_require_text(entry, "reason", where),
        surgical=surgical,
        synonyms=_parse_synonyms(entry.get("synonyms"), where),
        by_purpose=by_purpose,
        usual=usual,
    )


def _check_terms_unique(procedures: Iterable[Procedure]) -> None:
    """A typed term (id, name or synonym) must lead to exactly one procedure."""
    owner_of: dict[str, str] = {}
    for procedure in procedures:
        for term in (procedure.id, *procedure.terms):
            if _FORBIDDEN_IN_TERMS.search(term):
                raise ValueError(
                    f"procedure {procedure.id!r}: {term!r} contains a character Rasa treats "
                    "as markup"
                )
            key = normalize(term)
            if not key:
                raise ValueError(f"procedure {procedure.id!r}: empty name or synonym")
            owner = owner_of.setdefault(key, procedure.id)
            if owner != procedure.id:
                raise ValueError(
                    f"duplicate synonym {term!r}: used by both {owner!r} and {procedure.id!r}"
                )


def parse_procedures(document: Any) -> dict[str, Procedure]:
    """Validate a loaded procedures document; raise ValueError saying what is wrong."""
    if not isinstance(document, Mapping) or not isinstance(document.get("procedures"), list):
        raise ValueError("the file must hold a 'procedures' list")
    procedures: dict[str, Procedure] = {}
    for index, entry in enumerate(document["procedures"]):
        procedure = _parse_procedure(entry, index)
        if procedure.id in procedures:
            raise ValueError(f"duplicate procedure id {procedure.id!r}")
        procedures[procedure.id] = procedure
    _check_terms_unique(procedures.values())
    return procedures


@functools.lru_cache(maxsize=8)
def load_procedures(path: Path | None = None) -> dict[str, Procedure]:
    """The validated procedures keyed by id (cached: treat the result as read-only)."""
    source = Path(path) if path is not None else DEFAULT_CONTENT_PATH
    with source.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    try:
        return parse_procedures(document)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from error
