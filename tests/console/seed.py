"""Seeding and reading helpers of the console tests: cases and transcripts written through
the Repository, as the bot writes them, and the audit log read back."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import sqlalchemy as sa

from storage import Database, Repository
from storage.consent_texts import load_clauses
from storage.models import AuditEvent, Case
from storage.refs import CaseRef
from tests.console.conftest import STAFF_ID, STAFF_NAME, SignIn

# Distinctive numbers: a page that leaked one would be caught by a plain substring test.
PATIENT_USER = 7_340_115_286
PATIENT_CHAT = 7_340_115_286
OTHER_USER = 6_120_884_913
OTHER_STAFF_ID = 900_000_002
OTHER_STAFF_NAME = "Asha Nurse"


async def seed_case(
    repository: Repository,
    user_id: int,
    name: str,
    *,
    urgency: str = "normal",
    reason: str = "second_opinion",
    summary: dict | None = None,
) -> CaseRef:
    patient = await repository.upsert_patient(user_id, user_id, name, "en")
    return await repository.open_case(
        patient_id=patient.id,
        reason=reason,
        urgency=urgency,
        summary=summary if summary is not None else {"asked": "is it risky"},
    )


async def say(
    repository: Repository,
    patient_id: int,
    author: str,
    text: str | None,
    message_id: int,
    **extra: object,
) -> int:
    return await repository.record_message(
        patient_id=patient_id,
        direction="in" if author == "patient" else "out",
        author=author,  # type: ignore[arg-type]
        text=text,
        chat_id=PATIENT_CHAT,
        telegram_message_id=message_id,
        **extra,  # type: ignore[arg-type]
    )


async def signed_in(sign_in: SignIn, repository: Repository) -> tuple[httpx.AsyncClient, int]:
    """The signed-in client and the staff member's id (the same row sign-in uses)."""
    client = await sign_in()
    staff = await repository.upsert_staff(STAFF_ID, STAFF_NAME)
    return client, staff.id


def references(html: str) -> list[str]:
    """Case references in the order the list shows them."""
    return re.findall(r'<th scope="row"><a href="/cases/(\d+)">', html)


async def set_opened(database: Database, case_id: int, when: datetime) -> None:
    # The repository stamps opened_at with the current time; tests of the date filter need
    # cases opened on other days.
    async with database.session() as session, session.begin():
        await session.execute(sa.update(Case).where(Case.id == case_id).values(opened_at=when))


async def audit_rows(database: Database, action: str) -> list[AuditEvent]:
    async with database.session() as session:
        rows = await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return list(rows)


async def full_case(repository: Repository, staff_id: int) -> CaseRef:
    """A conversation, a handoff, a photo, a staff reply and consent decisions."""
    patient = await repository.upsert_patient(PATIENT_USER, PATIENT_CHAT, "Meera Shah", "en")
    await say(repository, patient.id, "patient", "Hello, I need help", 501)
    await say(repository, patient.id, "bot", "Hello! How can I help?", 502)
    case = await repository.open_case(
        patient_id=patient.id,
        reason="second_opinion",
        urgency="urgent",
        summary={
            "asked": "Is the surgery risky?",
            "criteria_met": ["unclear_diagnosis", "doctor_warned"],
            "criteria_words": {"unclear_diagnosis": "nobody can say what it is"},
            "language": "en",
            "procedure": "rhinoplasty",
            "understood": "a nose job (rhinoplasty) after an injury",
        },
    )
    await say(
        repository, patient.id, "patient", None, 503, media_type="photo", file_id="AgAD-FILE-ID"
    )
    await repository.claim_case(case.id, staff_id)
    await say(repository, patient.id, "staff", "I am looking at it", 504, staff_member_id=staff_id)
    await say(repository, patient.id, "patient", "Thank you", 505)
    for clause, decision in zip(load_clauses()[:2], ("agreed", "refused"), strict=True):
        await repository.record_consent(
            patient_id=patient.id,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision=decision,
            answered_message_id=600,
            case_id=case.id,
        )
    return case
