"""The catalog's and the description reader's words in the patient's language.

Procedures, body parts and causes are read in English (content/procedures.yml,
content/descriptions.yml); their Hindi, laid over by content/hi/, only changes what is
said to the patient. Staff see the English (the `understood` slot).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from actions.language import speaking
from translation import DEFAULT_LANGUAGE
from translation.overlay import localized_file

if TYPE_CHECKING:
    from actions.procedures import Procedure


@functools.cache
def _procedures_in(language: str) -> dict[str, dict[str, Any]]:
    """Entries by id. Not parsed as the catalog: a translated name ("नाक की सर्जरी
    (rhinoplasty)") is said, never typed, so the catalog's rules for terms do not apply."""
    return {str(p["id"]): p for p in localized_file("procedures.yml", language)["procedures"]}


def procedure_in(procedure: Procedure, language: str | None = None) -> Procedure:
    """The same procedure with its name and reasons in a language (the call's by default)."""
    from actions.procedures import PurposeAnswer

    language = language or speaking()
    if language == DEFAULT_LANGUAGE:
        return procedure
    entry = _procedures_in(language)[procedure.id]
    purposes = entry.get("by_purpose") or {}
    by_purpose = {
        purpose: PurposeAnswer(answer.category, str(purposes[purpose]["reason"]))
        for purpose, answer in procedure.by_purpose.items()
    }
    return replace(
        procedure, name=str(entry["name"]), reason=str(entry["reason"]), by_purpose=by_purpose
    )


def _descriptions(language: str) -> dict[str, Any]:
    return dict(localized_file("descriptions.yml", language))


@functools.cache
def _parts(language: str) -> dict[str, dict[str, str]]:
    return {str(p["id"]): p for p in _descriptions(language)["parts"]}


def part_words(part_id: str, language: str | None = None) -> dict[str, str]:
    """A body part's `label`, `looks` and `repair` in a language."""
    part = _parts(language or speaking())[part_id]
    return {key: str(part[key]) for key in ("label", "looks", "repair")}


@functools.cache
def _causes(language: str) -> dict[str, str]:
    return {str(c["id"]): str(c["said"]) for c in _descriptions(language)["causes"]}


def cause_said(cause_id: str | None, language: str | None = None) -> str | None:
    """How an answer names a cause ("after an injury"), in a language."""
    return _causes(language or speaking()).get(cause_id or "")


def plain_name(procedure_id: str, language: str | None = None) -> str | None:
    """The everyday words for a procedure ("ear pinning"), in a language."""
    names = _descriptions(language or speaking()).get("plain_names") or {}
    value = names.get(procedure_id)
    return str(value) if value else None


@functools.cache
def _said_in(language: str) -> dict[str, str]:
    """A criterion's English `said` → the same in a language (aligned by position)."""
    english = localized_file("criteria.yml", DEFAULT_LANGUAGE)["criteria"]
    translated = localized_file("criteria.yml", language)["criteria"]
    pairs: dict[str, str] = {}
    for source, target in zip(english, translated, strict=True):
        for kind in ("signs", "denials"):
            for a, b in zip(source.get(kind) or [], target.get(kind) or [], strict=True):
                pairs[str(a["said"])] = str(b["said"])
    return pairs


def criterion_said(said: str, language: str | None = None) -> str:
    """What the assistant says back of a criterion ("the doctors have told you different
    things"), in a language; the NLU's entity carries the English."""
    language = language or speaking()
    if language == DEFAULT_LANGUAGE:
        return said
    return _said_in(language).get(said, said)
