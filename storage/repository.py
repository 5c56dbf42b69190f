"""The gateway's and the staff side's only way to our data. Each method is one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import privacy
from storage.consent import ConsentMethods
from storage.convert import case_ref, message_ref, patient_ref, staff_ref
from storage.db import Database
from storage.durable import sent_statement
from storage.errors import CaseStateError, UnknownCaseError
from storage.models import (
    URGENCIES,
    AuditEvent,
    Case,
    Patient,
    StaffMember,
    TranscriptMessage,
)
from storage.pseudonym import pseudonym
from storage.refs import (
    CaseRef,
    ClaimResult,
    ErasureReport,
    IncomingRecord,
    MessageRef,
    PatientRef,
    PatientTurn,
    StaffRef,
)
from storage.rows import OPEN
from storage.rows import open_case_row as _open_case_row
from storage.rows import pseudonym_of as _pseudonym_of
from storage.timeutil import utcnow

T = TypeVar("T")

CLAIMABLE_STATUSES = ("bot", "queued")


def _queue_order() -> tuple[Any, ...]:
    urgent_first = sa.case((Case.urgency == "urgent", 0), else_=1)
    return (urgent_first, Case.queued_at, Case.id)


class Repository(ConsentMethods):
    def __init__(self, db: Database, pseudonym_secret: bytes) -> None:
        self._db = db
        self._secret = pseudonym_secret

    @property
    def database(self) -> Database:
        """The database, for stores beside this one (the staff groups' lanes)."""
        return self._db

    def pseudonym_for(self, telegram_user_id: int) -> str:
        return pseudonym(self._secret, telegram_user_id)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._db.session() as session, session.begin():
            yield session

    async def _retry_on_conflict(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Runs `work` again once if a concurrent insert won a unique constraint."""
        try:
            async with self._transaction() as session:
                return await work(session)
        except IntegrityError:
            async with self._transaction() as session:
                return await work(session)

    # -- patients ---------------------------------------------------------------------

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
            case = await _open_case_row(session, patient.id)
            message_id = incoming.telegram_message_id
            seen = message_id is not None and (
                await _transcript_row(session, incoming.chat_id, message_id) is not None
            )
            if not seen:
                await _insert_transcript_row(
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
            return PatientTurn(patient_ref(patient), case_ref(case) if case is not None else None)

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

    async def set_patient_blocked(self, telegram_user_id: int, blocked: bool) -> None:
        async with self._transaction() as session:
            await session.execute(
                sa.update(Patient)
                .where(Patient.telegram_user_id == telegram_user_id)
                .values(blocked=blocked)
            )

    # -- transcript -------------------------------------------------------------------

    async def record_message(
        self,
        *,
        patient_id: int,
        direction: Literal["in", "out"],
        author: Literal["patient", "bot", "staff"],
        text: str | None,
        chat_id: int,
        telegram_message_id: int | None,
        media_type: str | None = None,
        file_id: str | None = None,
        staff_member_id: int | None = None,
        relayed_message_id: int | None = None,
        relayed_chat_id: int | None = None,
    ) -> int:
        """Stores one message; `relayed_*` is its copy in the other chat (topic or patient)."""
        async with self._transaction() as session:
            return await _add_transcript_row(
                session,
                patient_id=patient_id,
                direction=direction,
                author=author,
                text=text,
                chat_id=chat_id,
                telegram_message_id=telegram_message_id,
                media_type=media_type,
                file_id=file_id,
                staff_member_id=staff_member_id,
                relayed_chat_id=relayed_chat_id,
                relayed_message_id=relayed_message_id,
            )

    async def record_delivery(
        self, *, outbox_id: int, telegram_message_id: int, transcript: dict[str, Any] | None
    ) -> None:
        """An outbox message Telegram accepted: marked sent and put in the transcript in one
        transaction, so a crash cannot leave one without the other."""
        async with self._transaction() as session:
            await session.execute(sent_statement(outbox_id, telegram_message_id))
            if transcript is not None:
                await _add_transcript_row(session, **transcript)

    async def last_messages(self, patient_id: int, limit: int = 5) -> list[MessageRef]:
        """The patient's latest messages, oldest first."""
        async with self._transaction() as session:
            rows = await session.scalars(
                sa.select(TranscriptMessage)
                .where(TranscriptMessage.patient_id == patient_id)
                .order_by(TranscriptMessage.id.desc())
                .limit(limit)
            )
            return [message_ref(row) for row in reversed(rows.all())]

    async def find_message(self, chat_id: int, telegram_message_id: int) -> MessageRef | None:
        """The transcript entry of a message by its own chat and id."""
        async with self._transaction() as session:
            row = await _transcript_row(session, chat_id, telegram_message_id)
            return message_ref(row) if row is not None else None

    async def find_by_relayed(
        self, relayed_message_id: int, relayed_chat_id: int | None = None
    ) -> MessageRef | None:
        """The transcript entry whose copy is that message (e.g. a staff reply's target)."""
        query = sa.select(TranscriptMessage).where(
            TranscriptMessage.relayed_message_id == relayed_message_id
        )
        if relayed_chat_id is not None:
            query = query.where(TranscriptMessage.relayed_chat_id == relayed_chat_id)
        async with self._transaction() as session:
            row = await session.scalar(query.order_by(TranscriptMessage.id.desc()).limit(1))
            return message_ref(row) if row is not None else None

    async def link_relay(
        self,
        chat_id: int,
        telegram_message_id: int,
        relayed_chat_id: int,
        relayed_message_id: int,
    ) -> bool:
        """Records where a stored message was copied to; False if it is not in the transcript."""
        async with self._transaction() as session:
            row = await _transcript_row(session, chat_id, telegram_message_id)
            if row is None:
                return False
            row.relayed_chat_id = relayed_chat_id
            row.relayed_message_id = relayed_message_id
            return True

    async def edit_message_text(
        self, chat_id: int, telegram_message_id: int, text: str | None
    ) -> MessageRef | None:
        """Records an edit of a stored message; None when the message is not in the transcript."""
        async with self._transaction() as session:
            row = await _transcript_row(session, chat_id, telegram_message_id)
            if row is None:
                return None
            row.text = text
            row.edited_at = utcnow()
            await session.flush()
            return message_ref(row)

    # -- cases ------------------------------------------------------------------------

    async def open_case(
        self, *, patient_id: int, reason: str, urgency: str, summary: dict[str, Any]
    ) -> CaseRef:
        """Queues the patient's open case, or a new one; a case with staff stays with staff."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}, not {urgency!r}")

        async def work(session: AsyncSession) -> CaseRef:
            row = await _open_case_row(session, patient_id, for_update=True)
            now = utcnow()
            if row is None:
                row = Case(
                    patient_id=patient_id,
                    patient_pseudonym=await _pseudonym_of(session, patient_id),
                    status="queued",
                    urgency=urgency,
                    reason=reason,
                    summary=dict(summary),
                    opened_at=now,
                    queued_at=now,
                )
                session.add(row)
            else:
                row.summary = {**(row.summary or {}), **summary}
                row.reason = reason
                if urgency == "urgent":
                    row.urgency = "urgent"
                if row.status == "bot":
                    row.status = "queued"
                    row.queued_at = now
            await session.flush()
            return case_ref(row)

        return await self._retry_on_conflict(work)

    async def get_case(self, case_id: int) -> CaseRef | None:
        async with self._transaction() as session:
            row = await session.get(Case, case_id)
            return case_ref(row) if row is not None else None

    async def open_case_for(self, patient_id: int) -> CaseRef | None:
        async with self._transaction() as session:
            row = await _open_case_row(session, patient_id)
            return case_ref(row) if row is not None else None

    async def set_case_topic(
        self, case_id: int, thread_id: int, card_message_id: int | None
    ) -> None:
        async with self._transaction() as session:
            await _update_case(
                session, case_id, thread_id=thread_id, card_message_id=card_message_id
            )

    async def case_by_topic(self, thread_id: int) -> CaseRef | None:
        async with self._transaction() as session:
            row = await session.scalar(
                sa.select(Case).where(Case.thread_id == thread_id).order_by(Case.id.desc()).limit(1)
            )
            return case_ref(row) if row is not None else None

    async def claim_case(self, case_id: int, staff_member_id: int) -> ClaimResult:
        """Race-safe: one conditional UPDATE, so of concurrent claims exactly one wins.

        `won` is True only for the call that made the claim (a repeated claim by the
        holder is not a win; compare `holder_staff_id`).
        """
        async with self._transaction() as session:
            result = await session.execute(
                sa.update(Case)
                .where(
                    Case.id == case_id,
                    Case.status.in_(CLAIMABLE_STATUSES),
                    Case.staff_member_id.is_(None),
                )
                .values(status="with_staff", staff_member_id=staff_member_id, claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            won = result.rowcount == 1
            row = await _case_row(session, case_id)
            if won:
                _audit_staff(session, staff_member_id, "case.claim", case_id)
            return ClaimResult(won=won, holder_staff_id=row.staff_member_id, case=case_ref(row))

    async def release_case(self, case_id: int, staff_member_id: int) -> CaseRef:
        """with_staff → bot; only the holder can release."""
        async with self._transaction() as session:
            result = await session.execute(
                sa.update(Case)
                .where(
                    Case.id == case_id,
                    Case.status == "with_staff",
                    Case.staff_member_id == staff_member_id,
                )
                .values(status="bot", staff_member_id=None)
                .execution_options(synchronize_session=False)
            )
            row = await _case_row(session, case_id)
            if result.rowcount != 1:
                raise CaseStateError(
                    f"case {case_id} is {row.status} and not held by staff {staff_member_id}"
                )
            _audit_staff(session, staff_member_id, "case.release", case_id)
            return case_ref(row)

    async def close_case(self, case_id: int, staff_member_id: int) -> CaseRef:
        async with self._transaction() as session:
            result = await session.execute(
                sa.update(Case)
                .where(Case.id == case_id, OPEN)
                .values(status="closed", closed_at=utcnow(), closed_by_staff_id=staff_member_id)
                .execution_options(synchronize_session=False)
            )
            row = await _case_row(session, case_id)
            if result.rowcount != 1:
                raise CaseStateError(f"case {case_id} is already closed")
            _audit_staff(session, staff_member_id, "case.close", case_id)
            return case_ref(row)

    async def rate_case(self, case_id: int, rating: int) -> None:
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValueError(f"rating must be an integer from 1 to 5, not {rating!r}")
        async with self._transaction() as session:
            row = await _case_row(session, case_id)
            if row.status != "closed":
                raise CaseStateError(f"case {case_id} is {row.status}: rate it after closing")
            row.rating = rating

    async def queue(self) -> list[CaseRef]:
        """Queued cases: urgent first, then the longest waiting."""
        async with self._transaction() as session:
            rows = await session.scalars(
                sa.select(Case).where(Case.status == "queued").order_by(*_queue_order())
            )
            return [case_ref(row) for row in rows]

    async def cases_waiting_longer_than(self, seconds: float) -> list[CaseRef]:
        """Queued cases unclaimed for `seconds` since queued or since the last renotification."""
        cutoff = utcnow() - timedelta(seconds=seconds)
        waiting_since = sa.func.coalesce(Case.last_renotified_at, Case.queued_at)
        async with self._transaction() as session:
            rows = await session.scalars(
                sa.select(Case)
                .where(Case.status == "queued", waiting_since <= cutoff)
                .order_by(*_queue_order())
            )
            return [case_ref(row) for row in rows]

    async def mark_renotified(self, case_id: int) -> None:
        async with self._transaction() as session:
            await _update_case(session, case_id, last_renotified_at=utcnow())

    # -- staff and audit --------------------------------------------------------------

    async def upsert_staff(self, telegram_user_id: int, display_name: str) -> StaffRef:
        async def work(session: AsyncSession) -> StaffRef:
            row = await session.scalar(
                sa.select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
            )
            if row is None:
                row = StaffMember(telegram_user_id=telegram_user_id, display_name=display_name)
                session.add(row)
            else:
                row.display_name = display_name
            await session.flush()
            return staff_ref(row)

        return await self._retry_on_conflict(work)

    async def get_staff(self, staff_member_id: int) -> StaffRef | None:
        async with self._transaction() as session:
            row = await session.get(StaffMember, staff_member_id)
            return staff_ref(row) if row is not None else None

    async def staff_by_telegram_id(self, telegram_user_id: int) -> StaffRef | None:
        async with self._transaction() as session:
            row = await session.scalar(
                sa.select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
            )
            return staff_ref(row) if row is not None else None

    async def audit(
        self,
        *,
        actor_type: str,
        actor_id: str,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Appends to the audit log. Actors and targets are ids or pseudonyms, never names."""
        async with self._transaction() as session:
            session.add(
                AuditEvent(
                    actor_type=actor_type,
                    actor_id=actor_id,
                    action=action,
                    target=target,
                    details=details,
                )
            )

    # -- the patient's rights ---------------------------------------------------------

    async def export_patient(self, telegram_user_id: int) -> dict[str, Any]:
        """Everything stored about the patient, JSON-serialisable."""
        async with self._transaction() as session:
            return await privacy.export_patient(
                session, telegram_user_id, self.pseudonym_for(telegram_user_id)
            )

    async def erase_patient(self, telegram_user_id: int) -> ErasureReport:
        """Deletes the patient's personal data; consent decisions stay under the pseudonym."""
        async with self._transaction() as session:
            return await privacy.erase_patient(
                session, telegram_user_id, self.pseudonym_for(telegram_user_id)
            )


async def _patient_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Patient | None:
    return await session.scalar(
        sa.select(Patient).where(Patient.telegram_user_id == telegram_user_id)
    )


async def _transcript_row(
    session: AsyncSession, chat_id: int, telegram_message_id: int
) -> TranscriptMessage | None:
    return await session.scalar(
        sa.select(TranscriptMessage)
        .where(
            TranscriptMessage.chat_id == chat_id,
            TranscriptMessage.telegram_message_id == telegram_message_id,
        )
        .order_by(TranscriptMessage.id.desc())
        .limit(1)
    )


async def _case_row(session: AsyncSession, case_id: int) -> Case:
    # populate_existing: a conditional UPDATE just ran behind the identity map's back.
    row = await session.get(Case, case_id, populate_existing=True)
    if row is None:
        raise UnknownCaseError(f"no case with id {case_id}")
    return row


async def _update_case(session: AsyncSession, case_id: int, **values: Any) -> None:
    result = await session.execute(sa.update(Case).where(Case.id == case_id).values(**values))
    if result.rowcount != 1:
        raise UnknownCaseError(f"no case with id {case_id}")


def _audit_staff(session: AsyncSession, staff_member_id: int, action: str, case_id: int) -> None:
    session.add(
        AuditEvent(
            actor_type="staff",
            actor_id=str(staff_member_id),
            action=action,
            target=f"case:{case_id}",
        )
    )


async def _add_transcript_row(session: AsyncSession, *, patient_id: int, **fields: Any) -> int:
    """One transcript row, attached to the patient's open case if there is one."""
    case_id = await session.scalar(
        sa.select(Case.id)
        .where(Case.patient_id == patient_id, OPEN)
        .order_by(Case.id.desc())
        .limit(1)
    )
    return await _insert_transcript_row(session, case_id=case_id, patient_id=patient_id, **fields)


async def _insert_transcript_row(
    session: AsyncSession,
    *,
    case_id: int | None,
    patient_id: int,
    direction: str,
    author: str,
    text: str | None,
    chat_id: int,
    telegram_message_id: int | None,
    media_type: str | None = None,
    file_id: str | None = None,
    staff_member_id: int | None = None,
    relayed_chat_id: int | None = None,
    relayed_message_id: int | None = None,
) -> int:
    row = TranscriptMessage(
        patient_id=patient_id,
        case_id=case_id,
        direction=direction,
        author=author,
        text=text,
        chat_id=chat_id,
        telegram_message_id=telegram_message_id,
        media_type=media_type,
        file_id=file_id,
        staff_member_id=staff_member_id,
        relayed_chat_id=relayed_chat_id,
        relayed_message_id=relayed_message_id,
    )
    session.add(row)
    await session.flush()
    return row.id
