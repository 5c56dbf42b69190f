"""The async engine, and the URL forms the other users of the same database need."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg2"}
# SQLite's busy timeout, seconds: concurrent writers wait for the lock instead of failing.
_SQLITE_BUSY_TIMEOUT = 30
# PostgreSQL pools hand out the connection returned last: a quiet worker keeps reusing one
# or two warm backends instead of cycling through all of them (QueuePool's default is the
# oldest), and the spare ones sit idle. Each backend is a process with its own caches.
POOL_OPTIONS: dict[str, Any] = {"pool_use_lifo": True}


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "postgres":  # the Heroku-style spelling
        return "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")
    return backend


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def normalise_url(url: str) -> str:
    """The same database with the async driver (aiosqlite or asyncpg)."""
    parsed = make_url(url)
    return _render(parsed.set(drivername=_ASYNC_DRIVERS[_backend(parsed)]))


def sync_url(url: str) -> str:
    """The same database with the sync driver (pysqlite or psycopg2), for Alembic and Rasa."""
    parsed = make_url(url)
    return _render(parsed.set(drivername=_SYNC_DRIVERS[_backend(parsed)]))


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (and Rasa's tracker store on the same file) run beside a writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL keeps every commit through a crash of the process (a kill, an
    # OOM) and skips the fsync per commit that FULL pays; only a power loss can take the
    # last commits. Many small commits per message make FULL the bottleneck under load.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """Holds the async engine; one per process, disposed at shutdown."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        options: dict[str, Any] = {}
        if self.dialect == "sqlite":
            options["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT}
        else:
            options.update(POOL_OPTIONS)
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, future=True, **options
        )
        if self.dialect == "sqlite":
            sa.event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
        self._sessions = sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, future=True
        )

    def session(self) -> AsyncSession:
        """A new session; use as `async with db.session() as s, s.begin(): ...`."""
        return self._sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
