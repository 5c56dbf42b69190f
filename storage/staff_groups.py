"""The staff groups: which group a case is in, its topic there, each group's queue summary
message and the lease that lets one worker at a time send into it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.convert import case_ref
from storage.db import Database
from storage.models import Case, StaffGroup
from storage.refs import CaseRef
from storage.timeutil import utcnow

OPEN = Case.status != "closed"


class StaffGroupStore:
    """The cases' group column and `staff_groups`; part of StaffLaneStore."""

    _db: Database

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

    async def cases_of_patient(self, patient_id: int) -> list[tuple[int, int | None, int | None]]:
        """(case id, staff group or None for the first, topic or None) of a patient's cases."""
        async with self._db.session() as session:
            rows = await session.execute(
                sa.select(Case.id, Case.staff_chat_id, Case.thread_id).where(
                    Case.patient_id == patient_id
                )
            )
            return [(int(case_id), chat_id, thread_id) for case_id, chat_id, thread_id in rows]
