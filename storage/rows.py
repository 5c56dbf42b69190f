"""Row lookups that several parts of the repository share (inside a caller's transaction)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import UnknownPatientError
from storage.models import Case, Patient

OPEN = Case.status != "closed"


async def pseudonym_of(session: AsyncSession, patient_id: int) -> str:
    value = await session.scalar(sa.select(Patient.pseudonym).where(Patient.id == patient_id))
    if value is None:
        raise UnknownPatientError(f"no patient with id {patient_id}")
    return value


async def open_case_row(
    session: AsyncSession, patient_id: int, *, for_update: bool = False
) -> Case | None:
    query = sa.select(Case).where(Case.patient_id == patient_id, OPEN)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.order_by(Case.id.desc()).limit(1))
