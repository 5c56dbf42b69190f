"""The console's sign-in state: one-time links and sessions, stored only as hashes.

The console (console/auth/) holds the secrets and hashes them; this module never sees
a link or a cookie, so neither can end up in the database or its logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ConsoleSession, ConsoleSignInLink, StaffMember

LinkState = Literal["ok", "unknown", "used", "expired"]
# Expired links and sessions are kept this long (an audit trail of their use), then purged.
KEEP_EXPIRED = timedelta(days=7)


@dataclass(frozen=True)
class LinkUse:
    """What consuming a link found; the user is known unless the link was unknown."""

    state: LinkState
    telegram_user_id: int | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A live session with the staff member it belongs to."""

    session_id: int
    staff_member_id: int
    telegram_user_id: int
    display_name: str


class ConsoleAccess:
    """Links and sessions; each method is one transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_link(
        self,
        token_sha256: str,
        telegram_user_id: int,
        display_name: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Record a link just issued (and purge long-expired links and sessions)."""
        async with self._db.session() as session, session.begin():
            await _purge(session, now)
            session.add(
                ConsoleSignInLink(
                    token_sha256=token_sha256,
                    telegram_user_id=telegram_user_id,
                    display_name=display_name,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    async def peek_link(self, token_sha256: str, now: datetime) -> LinkUse:
        """What using the link now would find, without using it ("ok": it still works)."""
        async with self._db.session() as session, session.begin():
            row = await _link(session, token_sha256)
            return _state_of(row, now)

    async def consume_link(self, token_sha256: str, now: datetime) -> LinkUse:
        """Mark a link used, once: of two concurrent uses only one gets "ok"."""
        async with self._db.session() as session, session.begin():
            row = await _link(session, token_sha256)
            found = _state_of(row, now)
            if row is None or found.state != "ok":
                return found
            user_id, name = row.telegram_user_id, row.display_name
            # The conditional update is the real guard: the read above may race another use.
            result = await session.execute(
                sa.update(ConsoleSignInLink)
                .where(ConsoleSignInLink.id == row.id, ConsoleSignInLink.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return LinkUse("used", user_id, name)
            return LinkUse("ok", user_id, name)

    async def add_session(
        self, token_sha256: str, staff_member_id: int, now: datetime, expires_at: datetime
    ) -> int:
        """Record a new session; returns its id."""
        async with self._db.session() as session, session.begin():
            row = ConsoleSession(
                token_sha256=token_sha256,
                staff_member_id=staff_member_id,
                created_at=now,
                expires_at=expires_at,
            )
            session.add(row)
            await session.flush()
            return int(row.id)

    async def live_session(self, token_sha256: str, now: datetime) -> SessionRecord | None:
        """The session with this hash if it is neither revoked nor expired."""
        async with self._db.session() as session, session.begin():
            found = (
                await session.execute(
                    sa.select(
                        ConsoleSession.id,
                        ConsoleSession.staff_member_id,
                        StaffMember.telegram_user_id,
                        StaffMember.display_name,
                    )
                    .join(StaffMember, StaffMember.id == ConsoleSession.staff_member_id)
                    .where(
                        ConsoleSession.token_sha256 == token_sha256,
                        ConsoleSession.revoked_at.is_(None),
                        ConsoleSession.expires_at > now,
                    )
                )
            ).first()
            if found is None:
                return None
            return SessionRecord(
                session_id=found[0],
                staff_member_id=found[1],
                telegram_user_id=found[2],
                display_name=found[3],
            )

    async def revoke_session(self, session_id: int, now: datetime) -> None:
        """End one session (sign-out, or its holder is no longer staff)."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                sa.update(ConsoleSession)
                .where(ConsoleSession.id == session_id, ConsoleSession.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )

    async def revoke_sessions_of(self, staff_member_id: int, now: datetime) -> int:
        """End every session of a staff member; returns how many were live."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                sa.update(ConsoleSession)
                .where(
                    ConsoleSession.staff_member_id == staff_member_id,
                    ConsoleSession.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)


async def _link(session: AsyncSession, token_sha256: str) -> ConsoleSignInLink | None:
    return await session.scalar(
        sa.select(ConsoleSignInLink).where(ConsoleSignInLink.token_sha256 == token_sha256)
    )


def _state_of(row: ConsoleSignInLink | None, now: datetime) -> LinkUse:
    """Whether a stored link still works, and whose it is."""
    if row is None:
        return LinkUse("unknown")
    user_id, name = row.telegram_user_id, row.display_name
    if row.used_at is not None:
        return LinkUse("used", user_id, name)
    if row.expires_at <= now:
        return LinkUse("expired", user_id, name)
    return LinkUse("ok", user_id, name)


async def _purge(session: AsyncSession, now: datetime) -> None:
    cutoff = now - KEEP_EXPIRED
    await session.execute(
        sa.delete(ConsoleSignInLink)
        .where(ConsoleSignInLink.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        sa.delete(ConsoleSession)
        .where(ConsoleSession.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )
