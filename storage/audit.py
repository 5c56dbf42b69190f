"""The audit part of `Repository`: appending to the audit log, with ids and pseudonyms only.

`AuditMethods` is mixed into `Repository`; `audit_staff` adds a staff act's event inside a
transaction already open (the cases' part writes its claims, releases and closes with it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent
from storage.repo_base import RepositoryBase


class AuditMethods(RepositoryBase):
    """Repository's audit method."""

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


def audit_staff(session: AsyncSession, staff_member_id: int, action: str, case_id: int) -> None:
    """A staff member's act on a case, in the caller's transaction."""
    session.add(
        AuditEvent(
            actor_type="staff",
            actor_id=str(staff_member_id),
            action=action,
            target=f"case:{case_id}",
        )
    )
