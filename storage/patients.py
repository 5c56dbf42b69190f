"""The patients part of `Repository`: their records, and the start of a patient's turn.

`PatientMethods` is mixed into `Repository`, each method one transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.convert import case_ref, patient_ref
from storage.models import Patient
from storage.refs import IncomingRecord, PatientRef, PatientTurn
from storage.repo_base import RepositoryBase
from storage.rows import open_case_row
from storage.timeutil import utcnow
from storage.transcript import insert_transcript_row, transcript_row
from translation.choice import decide


class PatientMethods(RepositoryBase):
    """Repository's patient methods: upsert, a turn's start, look up, block."""

    async def upsert_patient(
        self, telegram_user_id: int, chat_id: int, display_name: str, language_code: str | None
    ) -> PatientRef:
        async def work(session: AsyncSession) -> PatientRef:
            row = await self._upsert_patient_row(
                session, telegram_user_id, chat_id, display_name, language_code
            )
            return patient_ref(row)

        return await self._retry_on_conflict(work)

    async def begin_patient_turn(
        self,
        telegram_user_id: int,
        chat_id: int,
        display_name: str,
        language_code: str | None,
        incoming: IncomingRecord,
    ) -> PatientTurn:
        """A patient's turn starts: their record refreshed, what they sent kept, and their open
        case read, in one transaction (it was four: upsert, find, record, open case).

        Idempotent: a message handled again after a crash is not stored twice.
        """

        async def work(session: AsyncSession) -> PatientTurn:
            patient = await self._upsert_patient_row(
                session, telegram_user_id, chat_id, display_name, language_code
            )
            typed = None if incoming.media_type == "button" else incoming.text
            if typed is not None and typed.startswith("/"):
                typed = None  # a command is no language
            offer = _apply_language(patient, typed)
            case = await open_case_row(session, patient.id)
            message_id = incoming.telegram_message_id
            seen = message_id is not None and (
                await transcript_row(session, incoming.chat_id, message_id) is not None
            )
            if not seen:
                await insert_transcript_row(
                    session,
                    case_id=case.id if case is not None else None,
                    patient_id=patient.id,
                    direction="in",
                    author="patient",
                    text=incoming.text,
                    chat_id=incoming.chat_id,
                    telegram_message_id=message_id,
                    media_type=incoming.media_type,
                    file_id=incoming.file_id,
                )
            return PatientTurn(
                patient_ref(patient), case_ref(case) if case is not None else None, offer
            )

        return await self._retry_on_conflict(work)

    async def _upsert_patient_row(
        self,
        session: AsyncSession,
        telegram_user_id: int,
        chat_id: int,
        display_name: str,
        language_code: str | None,
    ) -> Patient:
        row = await _patient_by_telegram_id(session, telegram_user_id)
        if row is None:
            row = Patient(
                telegram_user_id=telegram_user_id,
                pseudonym=self.pseudonym_for(telegram_user_id),
                chat_id=chat_id,
                display_name=display_name,
                language_code=language_code,
            )
            session.add(row)
        else:
            row.chat_id = chat_id
            row.display_name = display_name
            if language_code is not None:
                row.language_code = language_code
        await session.flush()
        return row

    async def get_patient(self, telegram_user_id: int) -> PatientRef | None:
        async with self._transaction() as session:
            row = await _patient_by_telegram_id(session, telegram_user_id)
            return patient_ref(row) if row is not None else None

    async def get_patient_by_id(self, patient_id: int) -> PatientRef | None:
        async with self._transaction() as session:
            row = await session.get(Patient, patient_id)
            return patient_ref(row) if row is not None else None

    async def choose_language(self, telegram_user_id: int, language: str) -> PatientRef | None:
        """The patient chose a language (a button of the offer, or /language): kept."""
        async with self._transaction() as session:
            row = await _patient_by_telegram_id(session, telegram_user_id)
            if row is None:
                return None
            row.language = language
            row.language_chosen_at = utcnow()
            await session.flush()
            return patient_ref(row)

    async def set_patient_blocked(self, telegram_user_id: int, blocked: bool) -> None:
        async with self._transaction() as session:
            await session.execute(
                sa.update(Patient)
                .where(Patient.telegram_user_id == telegram_user_id)
                .values(blocked=blocked)
            )


def _apply_language(patient: Patient, typed: str | None) -> bool:
    """Keep what this message decides about the patient's language; whether to offer the
    choice now (translation/choice.py)."""
    decision = decide(
        patient.language,
        patient.language_chosen_at is not None,
        patient.language_offered_at is not None,
        typed,
        patient.language_code,
    )
    if decision.store is not None:
        patient.language = decision.store
    if decision.offer:
        patient.language_offered_at = utcnow()
    return decision.offer


async def _patient_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Patient | None:
    return await session.scalar(
        sa.select(Patient).where(Patient.telegram_user_id == telegram_user_id)
    )
