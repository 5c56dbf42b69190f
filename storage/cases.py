"""The cases part of `Repository`: open, claim, release, close, rate, the queue and its reminders.

`CaseMethods` is mixed into `Repository`, each method one transaction. A claim, a release and
a close write their audit event in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit_staff
from storage.convert import case_ref
from storage.errors import CaseStateError, UnknownCaseError
from storage.models import URGENCIES, Case
from storage.refs import CaseRef, ClaimResult
from storage.repo_base import RepositoryBase
from storage.rows import OPEN, open_case_row, pseudonym_of
from storage.timeutil import utcnow

CLAIMABLE_STATUSES = ("bot", "queued")


def _queue_order() -> tuple[Any, ...]:
    urgent_first = sa.case((Case.urgency == "urgent", 0), else_=1)
    return (urgent_first, Case.queued_at, Case.id)


class CaseMethods(RepositoryBase):
    """Repository's case methods: a case's life from queued to rated, and the queue."""

    async def open_case(
        self, *, patient_id: int, reason: str, urgency: str, summary: dict[str, Any]
    ) -> CaseRef:
        """Queues the patient's open case, or a new one; a case with staff stays with staff."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {URGENCIES}, not {urgency!r}")

        async def work(session: AsyncSession) -> CaseRef:
            row = await open_case_row(session, patient_id, for_update=True)
            now = utcnow()
            if row is None:
                row = Case(
                    patient_id=patient_id,
                    patient_pseudonym=await pseudonym_of(session, patient_id),
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
            row = await open_case_row(session, patient_id)
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
                audit_staff(session, staff_member_id, "case.claim", case_id)
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
            audit_staff(session, staff_member_id, "case.release", case_id)
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
            audit_staff(session, staff_member_id, "case.close", case_id)
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
