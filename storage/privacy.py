"""The patient's data rights: export (/mydata) and erasure (/delete).

Erasure keeps the consent records (keyed by the pseudonym; they are the evidence of
what was agreed) and, for cases they point to, a skeleton without personal data. In the same
transaction go the traces not keyed by the patient: their chat's raw updates and queued
messages, the staff groups' updates and sends about them (storage/traces.py says how those
are found, and what is left alone on purpose).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage.convert import (
    audit_json,
    case_json,
    case_ref,
    consent_json,
    consent_ref,
    message_json,
    message_ref,
    patient_json,
)
from storage.models import AuditEvent, Case, ConsentRecord, Patient, TranscriptMessage
from storage.refs import ErasureReport
from storage.timeutil import iso, utcnow
from storage.traces import Identity, Topic, erase_traces
from translation.choice import speaks
from translation.overlay import localized_file

EXPORT_FORMAT = "triage-bot/patient-export/1"
# Rasa's SQLTrackerStore table, when the tracker store shares our database.
RASA_EVENTS_TABLE = "events"


async def export_patient(
    session: AsyncSession, telegram_user_id: int, fallback_pseudonym: str
) -> dict[str, Any]:
    patient = await session.scalar(
        sa.select(Patient).where(Patient.telegram_user_id == telegram_user_id)
    )
    # After erasure only the pseudonym links what is left (consent, case skeletons).
    patient_pseudonym = patient.pseudonym if patient is not None else fallback_pseudonym
    cases = (
        await session.scalars(
            sa.select(Case).where(Case.patient_pseudonym == patient_pseudonym).order_by(Case.id)
        )
    ).all()
    messages = (
        await session.scalars(
            sa.select(TranscriptMessage)
            .where(TranscriptMessage.patient_id == patient.id)
            .order_by(TranscriptMessage.id)
        )
        if patient is not None
        else []
    )
    consents = await session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.patient_pseudonym == patient_pseudonym)
        .order_by(ConsentRecord.decided_at, ConsentRecord.id)
    )
    audit_events = await session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.target == f"patient:{patient_pseudonym}",
                AuditEvent.target.in_([f"case:{row.id}" for row in cases]),
            )
        )
        .order_by(AuditEvent.id)
    )
    session.add(
        AuditEvent(
            actor_type="patient",
            actor_id=patient_pseudonym,
            action="patient.export",
            target=f"patient:{patient_pseudonym}",
        )
    )
    # The notes in the language the patient reads (the data itself is as stored).
    language = speaks(patient.language, patient.language_code) if patient is not None else "en"
    wording = localized_file("receipt.yml", language)["export"]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": iso(utcnow()),
        "language": language,
        "about": wording["note"],
        "pseudonym": patient_pseudonym,
        "patient": patient_json(patient) if patient is not None else None,
        "cases": [case_json(case_ref(row)) for row in cases],
        "messages": [_exported_message(row, wording["staff_note"]) for row in messages],
        "consent_records": [consent_json(consent_ref(row)) for row in consents],
        "audit_events": [audit_json(row) for row in audit_events],
    }


def _exported_message(row: TranscriptMessage, staff_note: str) -> dict[str, Any]:
    """A transcript row as exported; a staff note (author "note") says plainly what it is."""
    exported = message_json(message_ref(row))
    if row.author == "note":
        exported["staff_note"] = staff_note
    return exported


async def erase_patient(
    session: AsyncSession,
    telegram_user_id: int,
    fallback_pseudonym: str,
    first_staff_group: int | None = None,
) -> ErasureReport:
    """Erase everything that names or identifies the patient; only consent evidence stays.

    `first_staff_group`: the staff group of cases announced before there were several (their
    `staff_chat_id` is NULL), where their topics are.
    """
    patient = await session.scalar(
        sa.select(Patient).where(Patient.telegram_user_id == telegram_user_id)
    )
    patient_pseudonym = patient.pseudonym if patient is not None else fallback_pseudonym
    counts = {"messages_deleted": 0, "cases_deleted": 0, "cases_anonymised": 0}
    thread_ids: list[int] = []
    sender_ids = [str(telegram_user_id)]
    chat_ids = {telegram_user_id}
    case_ids: list[int] = []
    topics: list[Topic] = []
    if patient is not None:
        sender_ids.append(str(patient.chat_id))
        chat_ids.add(patient.chat_id)
        case_ids, topics = await _cases_and_topics(session, patient, first_staff_group)
    # Before the cases lose their topics: the staff groups' traces are found by them.
    identity = Identity(
        numbers=tuple(sorted(chat_ids)), name=patient.display_name if patient else None
    )
    traces = await erase_traces(session, sorted(chat_ids), identity, case_ids, topics)
    if patient is not None:
        thread_ids, counts = await _erase_rows(session, patient)
    tracker_events = await _delete_tracker_events(session, sorted(set(sender_ids)))
    consent_kept = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ConsentRecord)
        .where(ConsentRecord.patient_pseudonym == patient_pseudonym)
    )
    report = ErasureReport(
        pseudonym=patient_pseudonym,
        patient_deleted=patient is not None,
        consent_records_kept=int(consent_kept or 0),
        tracker_events_deleted=tracker_events,
        staff_thread_ids=tuple(thread_ids),
        inbox_updates_deleted=traces.inbox_deleted,
        staff_updates_redacted=traces.staff_updates_redacted,
        outbox_messages_deleted=traces.outbox_deleted,
        staff_sends_deleted=traces.staff_sends_deleted,
        **counts,
    )
    session.add(
        AuditEvent(
            actor_type="patient",
            actor_id=patient_pseudonym,
            action="patient.erase",
            target=f"patient:{patient_pseudonym}",
            details={
                "patient_deleted": report.patient_deleted,
                "messages_deleted": report.messages_deleted,
                "cases_deleted": report.cases_deleted,
                "cases_anonymised": report.cases_anonymised,
                "consent_records_kept": report.consent_records_kept,
                "tracker_events_deleted": report.tracker_events_deleted,
                "inbox_updates_deleted": report.inbox_updates_deleted,
                "staff_updates_redacted": report.staff_updates_redacted,
                "outbox_messages_deleted": report.outbox_messages_deleted,
                "staff_sends_deleted": report.staff_sends_deleted,
            },
        )
    )
    return report


async def _cases_and_topics(
    session: AsyncSession, patient: Patient, first_staff_group: int | None
) -> tuple[list[int], list[Topic]]:
    """The patient's case ids, and their topics (group, thread) in the staff groups."""
    rows = await session.execute(
        sa.select(Case.id, Case.staff_chat_id, Case.thread_id).where(Case.patient_id == patient.id)
    )
    case_ids: list[int] = []
    topics: list[Topic] = []
    for case_id, chat_id, thread_id in rows.all():
        case_ids.append(int(case_id))
        group = chat_id if chat_id is not None else first_staff_group
        if thread_id is not None and group is not None:
            topics.append((int(group), int(thread_id)))
    return case_ids, topics


async def _erase_rows(session: AsyncSession, patient: Patient) -> tuple[list[int], dict[str, int]]:
    case_rows = (await session.scalars(sa.select(Case).where(Case.patient_id == patient.id))).all()
    case_ids = [row.id for row in case_rows]
    thread_ids = [row.thread_id for row in case_rows if row.thread_id is not None]
    evidence_case_ids = set(
        (
            await session.scalars(
                sa.select(ConsentRecord.case_id).where(ConsentRecord.case_id.in_(case_ids))
            )
        ).all()
    )
    messages = await session.execute(
        sa.delete(TranscriptMessage)
        .where(TranscriptMessage.patient_id == patient.id)
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    for row in case_rows:
        if row.id in evidence_case_ids:
            # The skeleton a consent record points to: no person, no free text, closed.
            row.patient_id = None
            row.reason = None
            row.summary = {}
            row.thread_id = None
            row.card_message_id = None
            if row.status != "closed":
                row.status = "closed"
                row.closed_at = now
        else:
            await session.delete(row)
    await session.flush()
    await session.execute(
        sa.delete(Patient)
        .where(Patient.id == patient.id)
        .execution_options(synchronize_session=False)
    )
    return thread_ids, {
        "messages_deleted": messages.rowcount,
        "cases_deleted": len(case_ids) - len(evidence_case_ids),
        "cases_anonymised": len(evidence_case_ids),
    }


async def _delete_tracker_events(session: AsyncSession, sender_ids: list[str]) -> int:
    connection = await session.connection()

    def has_events_table(sync_connection: Connection) -> bool:
        return sa.inspect(sync_connection).has_table(RASA_EVENTS_TABLE)

    if not await connection.run_sync(has_events_table):
        return 0
    events = sa.table(RASA_EVENTS_TABLE, sa.column("sender_id"))
    result = await session.execute(sa.delete(events).where(events.c.sender_id.in_(sender_ids)))
    return result.rowcount
