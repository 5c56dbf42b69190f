"""The staff part of `Repository`: staff members' records (who they are is decided in staff/).

`StaffMethods` is mixed into `Repository`, each method one transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.convert import staff_ref
from storage.models import StaffMember
from storage.refs import StaffRef
from storage.repo_base import RepositoryBase


class StaffMethods(RepositoryBase):
    """Repository's staff member methods: upsert, look up."""

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
