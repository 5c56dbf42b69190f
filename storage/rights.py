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

    async def erase_patient(self, telegram_user_id: int) -> ErasureReport:
        """Deletes the patient's personal data; consent decisions stay under the pseudonym."""
        async with self._transaction() as session:
            return await privacy.erase_patient(
                session, telegram_user_id, self.pseudonym_for(telegram_user_id)
            )
