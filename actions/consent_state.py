"""What the patient has agreed to, as the gateway read it from the stored consent records.

The action server keeps nothing. With every message the gateway sends Rasa
`metadata.consent = {"agreed": {clause_id: version}, "languages": {clause_id: language}}`:
the clauses whose latest record is an agreement, the version agreed and the language of the
text agreed to (each language's text has its own versions). The consent form asks only the
clauses not agreed at their current version (new, refused, withdrawn with /withdraw, or
changed since), and a withdrawal between two turns is seen on the next one.

Without that metadata (Rasa's test stories, an older gateway) nothing is known to be
agreed and the form asks every clause, as it always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from actions.content import Clause, consent_clauses, current_version
from actions.forms_common import join_summaries
from actions.language import speaking
from actions.replies import render
from translation import DEFAULT_LANGUAGE

METADATA_KEY = "consent"


def stored_agreements(tracker: Tracker) -> dict[str, int] | None:
    """clause id → version of the agreement in force, from the latest user message's
    metadata, in the versions of the language spoken now; None when the gateway sent none."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        consent = (event.get("metadata") or {}).get(METADATA_KEY)
        agreed = consent.get("agreed") if isinstance(consent, Mapping) else None
        if not isinstance(agreed, Mapping):
            return None
        languages = consent.get("languages") if isinstance(consent, Mapping) else None
        try:
            versions = {str(clause_id): int(version) for clause_id, version in agreed.items()}
        except (TypeError, ValueError):
            return None
        return _in_versions_spoken(versions, languages if isinstance(languages, Mapping) else {})
    return None


def _in_versions_spoken(
    versions: Mapping[str, int], languages: Mapping[str, Any]
) -> dict[str, int]:
    """An agreement to a text that is current in its own language is in force whatever the
    language spoken now (it is the same clause); one to a text since replaced counts as an
    earlier version, so the new wording is asked."""
    spoken = speaking()
    normalized: dict[str, int] = {}
    for clause_id, version in versions.items():
        language = str(languages.get(clause_id) or DEFAULT_LANGUAGE)
        now = current_version(clause_id, spoken)
        if now is None or language == spoken:
            normalized[clause_id] = version
        elif version == current_version(clause_id, language):
            normalized[clause_id] = now
        else:
            normalized[clause_id] = min(version, now - 1)
    return normalized


def in_force(clause: Clause, stored: Mapping[str, int] | None) -> bool:
    """Agreed at the clause's current version."""
    return stored is not None and stored.get(clause.id) == clause.version


def changed_since_agreed(clause: Clause, stored: Mapping[str, int] | None) -> bool:
    """Agreed, but to an earlier version than the current one."""
    return stored is not None and clause.id in stored and stored[clause.id] < clause.version


def clauses_to_ask(stored: Mapping[str, int] | None) -> list[Clause]:
    return [clause for clause in consent_clauses() if not in_force(clause, stored)]


def point_list(clauses: list[Clause]) -> str:
    """ "point 2", "points 2 and 4", "points 1, 3 and 5" (wording in content/dialogue.yml)."""
    numbers = [str(clause.number) for clause in clauses]
    if len(numbers) == 1:
        return render("consent_point", number=numbers[0])[0]
    return render("consent_points", numbers=join_summaries(numbers))[0]


def intro_key(stored: Mapping[str, int] | None) -> tuple[str, dict[str, Any]]:
    """Which consent introduction suits what is already agreed, and its values."""
    missing = clauses_to_ask(stored)
    if len(missing) == len(consent_clauses()):
        return "consent_intro", {}
    if not missing:
        return "consent_intro_agreed", {}
    values = {"points": point_list(missing)}
    if all(changed_since_agreed(clause, stored) for clause in missing):
        return "consent_intro_changed", values
    return "consent_intro_partial", values
