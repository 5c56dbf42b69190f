"""What every part of `Repository` shares: the database, the pseudonym secret, transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.pseudonym import pseudonym

T = TypeVar("T")


class RepositoryBase:
    """The state the repository's parts (patients, transcript, cases, …) work on."""

    def __init__(self, db: Database, pseudonym_secret: bytes) -> None:
        self._db = db
        self._secret = pseudonym_secret

    @property
    def database(self) -> Database:
        """The database, for stores beside this one (the staff groups' lanes)."""
        return self._db

    def pseudonym_for(self, telegram_user_id: int) -> str:
        return pseudonym(self._secret, telegram_user_id)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._db.session() as session, session.begin():
            yield session

    async def _retry_on_conflict(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Runs `work` again once if a concurrent insert won a unique constraint."""
        try:
            async with self._transaction() as session:
                return await work(session)
        except IntegrityError:
            async with self._transaction() as session:
                return await work(session)
