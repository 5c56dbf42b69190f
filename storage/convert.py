"""Rows to refs, and refs to the JSON shapes used by the export."""

from __future__ import annotations

from typing import Any

from storage.models import AuditEvent, Case, ConsentRecord, Patient, StaffMember, TranscriptMessage
from storage.refs import (
    CASE_REFERENCE_OFFSET,
    CaseRef,
    ConsentRef,
    MessageRef,
    PatientRef,
    StaffRef,
)
from storage.timeutil import iso


def patient_ref(row: Patient) -> PatientRef:
    return PatientRef(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        pseudonym=row.pseudonym,
        display_name=row.display_name,
        blocked=row.blocked,
        language_code=row.language_code,
        language=row.language,
        language_chosen=row.language_chosen_at is not None,
    )


def staff_ref(row: StaffMember) -> StaffRef:
    return StaffRef(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        display_name=row.display_name,
        active=row.active,
    )


def case_ref(row: Case) -> CaseRef:
    return CaseRef(
        id=row.id,
        patient_id=row.patient_id,
        patient_pseudonym=row.patient_pseudonym,
        status=row.status,
        urgency=row.urgency,
        reason=row.reason,
        summary=dict(row.summary or {}),
        holder_staff_id=row.staff_member_id,
        thread_id=row.thread_id,
        card_message_id=row.card_message_id,
        rating=row.rating,
        opened_at=row.opened_at,
        queued_at=row.queued_at,
        claimed_at=row.claimed_at,
        closed_at=row.closed_at,
        last_renotified_at=row.last_renotified_at,
        closed_by_staff_id=row.closed_by_staff_id,
        staff_chat_id=row.staff_chat_id,
    )


def message_ref(row: TranscriptMessage) -> MessageRef:
    return MessageRef(
        id=row.id,
        patient_id=row.patient_id,
        case_id=row.case_id,
        direction=row.direction,
        author=row.author,
        text=row.text,
        chat_id=row.chat_id,
        telegram_message_id=row.telegram_message_id,
        media_type=row.media_type,
        file_id=row.file_id,
        staff_member_id=row.staff_member_id,
        relayed_chat_id=row.relayed_chat_id,
        relayed_message_id=row.relayed_message_id,
        created_at=row.created_at,
        edited_at=row.edited_at,
    )


def consent_ref(row: ConsentRecord) -> ConsentRef:
    return ConsentRef(
        id=row.id,
        patient_pseudonym=row.patient_pseudonym,
        case_id=row.case_id,
        clause_id=row.clause_id,
        version=row.clause_version,
        text_sha256=row.text_sha256,
        decision=row.decision,
        decided_at=row.decided_at,
        answered_message_id=row.answered_message_id,
        language=row.language or "en",
    )


def patient_json(row: Patient) -> dict[str, Any]:
    return {
        "telegram_user_id": row.telegram_user_id,
        "chat_id": row.chat_id,
        "pseudonym": row.pseudonym,
        "display_name": row.display_name,
        "language_code": row.language_code,
        "language": row.language,
        "language_chosen_at": iso(row.language_chosen_at),
        "language_offered_at": iso(row.language_offered_at),
        "blocked": row.blocked,
        "created_at": iso(row.created_at),
    }


def case_json(ref: CaseRef) -> dict[str, Any]:
    return {
        "reference": ref.reference,
        "status": ref.status,
        "urgency": ref.urgency,
        "reason": ref.reason,
        "summary": ref.summary,
        "rating": ref.rating,
        "opened_at": iso(ref.opened_at),
        "queued_at": iso(ref.queued_at),
        "claimed_at": iso(ref.claimed_at),
        "closed_at": iso(ref.closed_at),
    }


def message_json(ref: MessageRef) -> dict[str, Any]:
    return {
        "direction": ref.direction,
        "author": ref.author,
        "text": ref.text,
        "media_type": ref.media_type,
        "file_id": ref.file_id,
        "telegram_message_id": ref.telegram_message_id,
        "created_at": iso(ref.created_at),
        "edited_at": iso(ref.edited_at),
    }


def audit_json(row: AuditEvent) -> dict[str, Any]:
    return {
        "at": iso(row.at),
        "actor_type": row.actor_type,
        "action": row.action,
        "target": row.target,
    }


def consent_json(ref: ConsentRef) -> dict[str, Any]:
    return {
        "clause_id": ref.clause_id,
        "version": ref.version,
        "text_sha256": ref.text_sha256,
        "language": ref.language,
        "decision": ref.decision,
        "decided_at": iso(ref.decided_at),
        "answered_message_id": ref.answered_message_id,
        "case_reference": str(ref.case_id + CASE_REFERENCE_OFFSET) if ref.case_id else None,
    }
