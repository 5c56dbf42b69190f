"""Plain, immutable views of stored rows: what the repository hands to its callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from translation.choice import speaks

# Case references start here so that the first cases do not read "1", "2"...
CASE_REFERENCE_OFFSET = 1000


@dataclass(frozen=True)
class PatientRef:
    id: int
    telegram_user_id: int
    chat_id: int
    pseudonym: str
    display_name: str
    blocked: bool
    language_code: str | None = None
    # The language kept on the patient; None until their words decide (see `speaks`).
    language: str | None = None
    language_chosen: bool = False

    @property
    def speaks(self) -> str:
        """The language they are answered in: kept, else Telegram's hint, else English."""
        return speaks(self.language, self.language_code)


@dataclass(frozen=True)
class StaffRef:
    id: int
    telegram_user_id: int
    display_name: str
    active: bool


@dataclass(frozen=True)
class CaseRef:
    id: int
    patient_id: int | None
    patient_pseudonym: str
    status: str
    urgency: str
    reason: str | None
    summary: dict[str, Any]
    holder_staff_id: int | None
    thread_id: int | None
    card_message_id: int | None
    rating: int | None
    opened_at: datetime
    queued_at: datetime | None
    claimed_at: datetime | None
    closed_at: datetime | None
    last_renotified_at: datetime | None
    closed_by_staff_id: int | None = None
    # The staff group it was announced in (None: not yet, or before there were several).
    staff_chat_id: int | None = None

    @property
    def reference(self) -> str:
        """What the patient and staff call the case, e.g. "1042"."""
        return str(self.id + CASE_REFERENCE_OFFSET)


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder_staff_id: int | None
    case: CaseRef


@dataclass(frozen=True)
class MessageRef:
    id: int
    patient_id: int
    case_id: int | None
    direction: str
    author: str
    text: str | None
    chat_id: int
    telegram_message_id: int | None
    media_type: str | None
    file_id: str | None
    staff_member_id: int | None
    relayed_chat_id: int | None
    relayed_message_id: int | None
    created_at: datetime
    edited_at: datetime | None = None


@dataclass(frozen=True)
class ConsentRef:
    id: int
    patient_pseudonym: str
    case_id: int | None
    clause_id: str
    version: int
    text_sha256: str
    decision: str
    decided_at: datetime
    answered_message_id: int | None
    # The language of the text shown (its version and hash are that language's).
    language: str = "en"


@dataclass(frozen=True)
class ErasureReport:
    pseudonym: str
    patient_deleted: bool
    messages_deleted: int
    cases_deleted: int
    cases_anonymised: int
    consent_records_kept: int
    tracker_events_deleted: int
    # Staff forum topics of the erased cases: the gateway deletes them in Telegram.
    staff_thread_ids: tuple[int, ...] = field(default_factory=tuple)
    # The traces not keyed by the patient (storage/traces.py).
    inbox_updates_deleted: int = 0
    staff_updates_redacted: int = 0
    outbox_messages_deleted: int = 0
    staff_sends_deleted: int = 0


@dataclass(frozen=True)
class IncomingRecord:
    """What a patient sent, for the transcript (a message, a command or a button's payload)."""

    text: str | None
    chat_id: int
    telegram_message_id: int | None
    media_type: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class PatientTurn:
    """A patient's turn as it starts: their refreshed record and their open case, if any,
    and whether to offer them हिन्दी / English now (once, see translation/choice.py)."""

    patient: PatientRef
    open_case: CaseRef | None
    offer_language: bool = False
