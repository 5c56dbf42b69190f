"""The staff groups' durable lanes: what is to be sent into each group, and the cases' groups.

A send is recorded before anything is sent, so a crash loses nothing: the group's sender
(staff/sender.py) takes the next due entry, highest lane first, and marks it done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.convert import case_ref
from storage.db import Database
from storage.models import Case, StaffGroup, StaffGroupSend
from storage.refs import CaseRef
from storage.timeutil import utcnow

ERROR_TEXT_LIMIT = 255
OPEN = Case.status != "closed"


@dataclass(frozen=True)
class StaffSend:
    id: int
    chat_id: int
    lane: int
    case_id: int | None
    op: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def _send(row: StaffGroupSend) -> StaffSend:
    return StaffSend(
        id=row.id,
        chat_id=row.chat_id,
        lane=row.lane,
        case_id=row.case_id,
        op=row.op,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        created_at=row.created_at,
    )


class StaffLaneStore:
    """Reads and writes `staff_group_sends`, `staff_groups` and the cases' group column."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- the lanes ---------------------------------------------------------------------

    async def enqueue(
        self,
        chat_id: int,
        lane: int,
        op: str,
        payload: dict[str, Any],
        *,
        case_id: int | None = None,
        merge_key: str | None = None,
    ) -> int:
        """Record a send; one still pending under the same `merge_key` is replaced instead
        (it would show the same thing twice: only the newest card or summary matters)."""
        text = json.dumps(payload, ensure_ascii=False)
        async with self._db.session() as session, session.begin():
            if merge_key is not None:
                pending = await session.scalar(
                    sa.select(StaffGroupSend)
                    .where(
                        StaffGroupSend.chat_id == chat_id,
                        StaffGroupSend.merge_key == merge_key,
                        StaffGroupSend.status == "pending",
                    )
                    .limit(1)
                )
                if pending is not None:
                    pending.payload = text
                    pending.lane = min(pending.lane, lane)
                    return int(pending.id)
            row = StaffGroupSend(
                chat_id=chat_id,
                lane=lane,
                case_id=case_id,
                op=op,
                payload=text,
                merge_key=merge_key,
                status="pending",
                attempts=0,
            )
            session.add(row)
            await session.flush()
            return int(row.id)

    async def next_due(self, chat_id: int, lanes: Sequence[int], now: datetime) -> StaffSend | None:
        """The oldest pending entry of the first of `lanes` that has one due now."""
        query = (
            sa.select(StaffGroupSend)
            .where(
                StaffGroupSend.chat_id == chat_id,
                StaffGroupSend.status == "pending",
                StaffGroupSend.lane.in_(list(lanes)),
                sa.or_(StaffGroupSend.not_before.is_(None), StaffGroupSend.not_before <= now),
            )
            .order_by(StaffGroupSend.lane, StaffGroupSend.id)
            .limit(1)
        )
        async with self._db.session() as session:
            row = await session.scalar(query)
            return _send(row) if row is not None else None

    async def mark_sent(self, send_id: int) -> None:
        await self._set(
            send_id, status="sent", sent_at=utcnow(), attempts=StaffGroupSend.attempts + 1
        )

    async def defer(self, send_id: int, until: datetime, error: str, *, count: bool) -> None:
        """Try again at `until`; `count` False for a flood wait, which is no failure."""
        values: dict[str, Any] = {"not_before": until, "last_error": error[:ERROR_TEXT_LIMIT]}
        if count:
            values["attempts"] = StaffGroupSend.attempts + 1
        await self._set(send_id, **values)

    async def give_up(self, send_id: int, error: str) -> None:
        await self._set(
            send_id,
            status="failed",
            last_error=error[:ERROR_TEXT_LIMIT],
            attempts=StaffGroupSend.attempts + 1,
        )

    async def _set(self, send_id: int, **values: Any) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(StaffGroupSend).where(StaffGroupSend.id == send_id).values(**values)
            )

    async def backlog(self, chat_id: int) -> dict[int, tuple[int, datetime | None]]:
        """Per lane: how many entries wait, and since when the oldest has."""
        query = (
            sa.select(
                StaffGroupSend.lane, sa.func.count(), sa.func.min(StaffGroupSend.created_at)
            )
            .where(StaffGroupSend.chat_id == chat_id, StaffGroupSend.status == "pending")
            .group_by(StaffGroupSend.lane)
        )
        async with self._db.session() as session:
            rows = await session.execute(query)
            return {int(lane): (int(count), oldest) for lane, count, oldest in rows}

    async def pending_count(self) -> int:
        """Entries still to be sent into any staff group."""
        async with self._db.session() as session:
            count = await session.scalar(
                sa.select(sa.func.count())
                .select_from(StaffGroupSend)
                .where(StaffGroupSend.status == "pending")
            )
            return int(count or 0)

    async def cases_of_patient(self, patient_id: int) -> list[tuple[int, int | None, int | None]]:
        """(case id, staff group or None for the first, topic or None) of a patient's cases."""
        async with self._db.session() as session:
            rows = await session.execute(
                sa.select(Case.id, Case.staff_chat_id, Case.thread_id).where(
                    Case.patient_id == patient_id
                )
            )
            return [(int(case_id), chat_id, thread_id) for case_id, chat_id, thread_id in rows]

    async def forget_cases(self, case_ids: Sequence[int]) -> int:
        """Erasure: what was still to be said about these cases is dropped."""
        if not case_ids:
            return 0
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                sa.delete(StaffGroupSend).where(
                    StaffGroupSend.case_id.in_(list(case_ids)), StaffGroupSend.status == "pending"
                )
            )
            return int(result.rowcount or 0)

    # -- the groups --------------------------------------------------------------------

    async def assign_group(self, case_id: int, candidates: Sequence[int]) -> int:
        """The case's group: kept if it has one, else the candidate with fewest open cases
        (ties: the first listed). Race-safe: the first assignment wins."""
        async with self._db.session() as session, session.begin():
            current = await session.scalar(sa.select(Case.staff_chat_id).where(Case.id == case_id))
            if current is not None:
                return int(current)
            rows = await session.execute(
                sa.select(Case.staff_chat_id, sa.func.count())
                .where(OPEN, Case.staff_chat_id.in_(list(candidates)))
                .group_by(Case.staff_chat_id)
            )
            load = {int(chat): int(count) for chat, count in rows}
            chosen = min(candidates, key=lambda chat: (load.get(chat, 0), candidates.index(chat)))
            await session.execute(
                sa.update(Case)
                .where(Case.id == case_id, Case.staff_chat_id.is_(None))
                .values(staff_chat_id=chosen)
            )
            settled = await session.scalar(sa.select(Case.staff_chat_id).where(Case.id == case_id))
            return int(settled if settled is not None else chosen)

    async def open_cases_by_group(self, chat_ids: Sequence[int]) -> dict[int, int]:
        async with self._db.session() as session:
            rows = await session.execute(
                sa.select(Case.staff_chat_id, sa.func.count())
                .where(OPEN, Case.staff_chat_id.in_(list(chat_ids)))
                .group_by(Case.staff_chat_id)
            )
            counts = {int(chat): int(count) for chat, count in rows}
        return {chat: counts.get(chat, 0) for chat in chat_ids}

    async def case_by_topic(
        self, chat_id: int, thread_id: int, first_group: int
    ) -> CaseRef | None:
        """The case whose topic this is; cases without a group are in the first group."""
        in_group = Case.staff_chat_id == chat_id
        if chat_id == first_group:
            in_group = sa.or_(in_group, Case.staff_chat_id.is_(None))
        async with self._db.session() as session:
            row = await session.scalar(
                sa.select(Case)
                .where(Case.thread_id == thread_id, in_group)
                .order_by(Case.id.desc())
                .limit(1)
            )
            return case_ref(row) if row is not None else None

    async def queued_cases(self, chat_id: int, first_group: int) -> list[CaseRef]:
        """The group's waiting cases: urgent first, then the longest waiting."""
        in_group = Case.staff_chat_id == chat_id
        if chat_id == first_group:
            in_group = sa.or_(in_group, Case.staff_chat_id.is_(None))
        urgent_first = sa.case((Case.urgency == "urgent", 0), else_=1)
        async with self._db.session() as session:
            rows = await session.scalars(
                sa.select(Case)
                .where(Case.status == "queued", in_group)
                .order_by(urgent_first, Case.queued_at, Case.id)
            )
            return [case_ref(row) for row in rows]

    async def queue_message(self, chat_id: int) -> int | None:
        async with self._db.session() as session:
            found = await session.scalar(
                sa.select(StaffGroup.queue_message_id).where(StaffGroup.chat_id == chat_id)
            )
            return int(found) if found is not None else None

    async def set_queue_message(self, chat_id: int, message_id: int | None) -> None:
        await self._ensure_group(chat_id)
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(StaffGroup)
                .where(StaffGroup.chat_id == chat_id)
                .values(queue_message_id=message_id)
            )

    async def take_lease(self, chat_id: int, owner: str, seconds: float) -> bool:
        """Hold (or renew) the right to send into this group; False while another worker does."""
        await self._ensure_group(chat_id)
        now = utcnow()
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                sa.update(StaffGroup)
                .where(
                    StaffGroup.chat_id == chat_id,
                    sa.or_(
                        StaffGroup.lease_owner.is_(None),
                        StaffGroup.lease_owner == owner,
                        StaffGroup.lease_until < now,
                    ),
                )
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
            )
            return bool(result.rowcount)

    async def drop_lease(self, chat_id: int, owner: str) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(StaffGroup)
                .where(StaffGroup.chat_id == chat_id, StaffGroup.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def _ensure_group(self, chat_id: int) -> None:
        async with self._db.session() as session:
            if await session.get(StaffGroup, chat_id) is not None:
                return
        try:
            async with self._db.session() as session, session.begin():
                session.add(StaffGroup(chat_id=chat_id))
        except IntegrityError:
            pass  # another worker added it first
