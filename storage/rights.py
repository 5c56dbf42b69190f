"""The patient's rights part of `Repository`: export (/mydata) and erasure (/delete).

`RightsMethods` is mixed into `Repository`; the work is storage/privacy.py's, each in one
transaction and under the patient's pseudonym.
"""

from __future__ import annotations

from typing import Any

from storage import privacy
from storage.refs import ErasureReport
from storage.repo_base import RepositoryBase


class RightsMethods(RepositoryBase):
    """Repository's data rights methods: export and erase a patient."""

    async def export_patient(self, telegram_user_id: int) -> dict[str, Any]:
        """Everything stored about the patient, JSON-serialisable."""
        async with self._transaction() as session:
            return await privacy.export_patient(
                session, telegram_user_id, self.pseudonym_for(telegram_user_id)
            )

    async def erase_patient(
        self, telegram_user_id: int, first_staff_group: int | None = None
    ) -> ErasureReport:
        """Deletes everything that names or identifies the patient, their chat's queued
        updates and messages and the staff groups' about them included; consent decisions
        stay under the pseudonym. `first_staff_group`: where cases without a group are."""
        async with self._transaction() as session:
            return await privacy.erase_patient(
                session,
                telegram_user_id,
                self.pseudonym_for(telegram_user_id),
                first_staff_group,
            )
