"""The staff groups' durable lanes: what is to be sent into each group.

A send is recorded before anything is sent, so a crash loses nothing: the group's sender
(staff/sender.py) takes the next due entry, highest lane first, and marks it done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.db import Database
from storage.models import StaffGroupSend
from storage.staff_groups import StaffGroupStore
from storage.timeutil import utcnow

ERROR_TEXT_LIMIT = 255


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


class StaffLaneStore(StaffGroupStore):
    """Reads and writes `staff_group_sends`; the groups' part (cases' groups, topics, the
    queue summary, the lease) is in storage/staff_groups.py."""

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
        not_before: datetime | None = None,
        sooner: bool = False,
    ) -> int:
        """Record a send (not before `not_before`, if given); one still pending under the same
        `merge_key` is replaced instead (it would show the same thing twice: only the newest
        card or summary matters), keeping its place and its time (the earlier one if `sooner`),
        in the higher lane."""
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
                    if sooner and pending.not_before is not None:
                        # Wanted sooner than the entry waiting: it goes at the earlier time.
                        due = not_before or utcnow()
                        pending.not_before = min(pending.not_before, due)
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
                not_before=not_before,
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
