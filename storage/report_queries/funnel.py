"""Report 1, the funnel: distinct patients at each of seven steps, in one statement."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.consent_texts import load_clauses
from storage.models import Case, ConsentRecord, Patient, TranscriptMessage
from storage.report_queries.sql import RASA_EVENTS, DateRange, has_events_table

CATEGORY_INTENT = "ask_procedure_category"
# Runs once the second-opinion form has every criterion answered (stories/rules.yml,
# "check done"); a form left for an emergency never reaches it.
SECOND_OPINION_RESULT_ACTION = "action_second_opinion_result"


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    definition: str
    patients: int


@dataclass(frozen=True)
class Funnel:
    steps: list[FunnelStep]
    # False when Rasa has not created its `events` table yet: steps 2 and 3 read 0.
    events_available: bool


FUNNEL_DEFINITIONS: list[tuple[str, str, str]] = [
    (
        "started",
        "Started",
        "patients who sent the bot at least one message in the range "
        "(transcript_messages written by the patient); every later step counts only them",
    ),
    (
        "asked_category",
        "Asked a category question",
        "of those, patients whose conversation has a user turn read as "
        f"{CATEGORY_INTENT} in the range (Rasa's events; sender_id is the patient's chat id)",
    ),
    (
        "second_opinion_checked",
        "Second opinion checked",
        "patients for whom the second-opinion form asked every criterion and "
        f"{SECOND_OPINION_RESULT_ACTION} ran in the range (Rasa's events)",
    ),
    (
        "consent_complete",
        "Consent complete",
        "patients with an 'agreed' consent record for every clause of content/consent.yml "
        "(any version), each decided in the range",
    ),
    ("handed_off", "Handed off", "patients with a case opened in the range"),
    ("taken_over", "Taken over", "patients with a case claimed by staff in the range"),
    ("closed", "Closed", "patients with a case closed in the range"),
]


def _cohort(period: DateRange) -> Any:
    """Patients who wrote in the range: the funnel's first step, with their tracker's id."""
    wrote = (
        sa.select(TranscriptMessage.id)
        .where(
            TranscriptMessage.patient_id == Patient.id,
            TranscriptMessage.author == "patient",
            period.holds(TranscriptMessage.created_at),
        )
        .exists()
    )
    # The gateway talks to Rasa as str(chat_id) (bot/patient_turns.py), a private chat's id.
    sender = sa.cast(Patient.chat_id, sa.String(255)).label("sender_id")
    return sa.select(Patient.pseudonym, sender).where(wrote).subquery("cohort")


def _flag(condition: Any) -> Any:
    """1 when any row of the group meets `condition`, else 0 (portable bool_or)."""
    return sa.func.max(sa.case((condition, 1), else_=0))


def _event_flags(period: DateRange) -> Any:
    """Per conversation: asked a category question, had the second-opinion result; one scan."""
    events = RASA_EVENTS
    asked = sa.and_(events.c.type_name == "user", events.c.intent_name == CATEGORY_INTENT)
    checked = sa.and_(
        events.c.type_name == "action", events.c.action_name == SECOND_OPINION_RESULT_ACTION
    )
    return (
        sa.select(
            events.c.sender_id.label("key"),
            _flag(asked).label("asked"),
            _flag(checked).label("checked"),
        )
        .where(sa.or_(asked, checked), period.holds_epoch(events.c.timestamp))
        .group_by(events.c.sender_id)
        .subquery("event_flags")
    )


@functools.cache
def _clause_ids() -> tuple[str, ...]:
    """content/consent.yml's clause ids, read once: parsing the YAML took 20-50 ms of the
    bot's loop on every funnel (the bot reads its content once at start, too)."""
    return tuple(sorted({clause.id for clause in load_clauses()}))


def _consented(period: DateRange) -> Any:
    """Pseudonyms with an agreement to every clause, decided in the range."""
    clause_ids = _clause_ids()
    # Distinct (patient, clause) pairs, then whole sets: both hash aggregates, where
    # count(DISTINCT ...) would sort every record.
    agreed = (
        sa.select(ConsentRecord.patient_pseudonym, ConsentRecord.clause_id)
        .where(
            ConsentRecord.decision == "agreed",
            ConsentRecord.clause_id.in_(clause_ids),
            period.holds(ConsentRecord.decided_at),
        )
        .distinct()
        .subquery()
    )
    return (
        sa.select(agreed.c.patient_pseudonym.label("key"))
        .group_by(agreed.c.patient_pseudonym)
        .having(sa.func.count() == len(clause_ids))
        .subquery("consented")
    )


def _case_flags(period: DateRange) -> Any:
    """Per patient: a case opened, claimed, closed in the range; one scan of the cases."""
    moments = {"opened": Case.opened_at, "claimed": Case.claimed_at, "closed": Case.closed_at}
    return (
        sa.select(
            Case.patient_pseudonym.label("key"),
            *(_flag(period.holds(at)).label(name) for name, at in moments.items()),
        )
        .where(sa.or_(*(period.holds(at) for at in moments.values())))
        .group_by(Case.patient_pseudonym)
        .subquery("case_flags")
    )


async def funnel(engine: AsyncEngine, period: DateRange) -> Funnel:
    """The seven steps' patient counts, in one statement.

    Each step's table is reduced to one row per patient first (hash aggregates over one
    scan each), then joined once to the cohort: probing the events index once per
    patient cost 150 ms a step on 15,000 patients.
    """
    async with engine.connect() as connection:
        events = await has_events_table(connection)
        cohort = _cohort(period)
        consented = _consented(period)
        cases = _case_flags(period)
        joined = cohort.outerjoin(consented, consented.c.key == cohort.c.pseudonym).outerjoin(
            cases, cases.c.key == cohort.c.pseudonym
        )
        if events:
            flags = _event_flags(period)
            joined = joined.outerjoin(flags, flags.c.key == cohort.c.sender_id)
            asked, checked = flags.c.asked, flags.c.checked
        else:  # Rasa has not written yet: nobody asked anything of it
            asked = checked = sa.literal(0)

        def total(column: Any) -> Any:
            return sa.func.coalesce(sa.func.sum(column), 0)

        query = sa.select(
            sa.func.count(),
            total(asked),
            total(checked),
            sa.func.count(consented.c.key),
            total(cases.c.opened),
            total(cases.c.claimed),
            total(cases.c.closed),
        ).select_from(joined)
        row = (await connection.execute(query)).one()
    steps = [
        FunnelStep(key, label, definition, int(count))
        for (key, label, definition), count in zip(FUNNEL_DEFINITIONS, row, strict=True)
    ]
    return Funnel(steps, events)
