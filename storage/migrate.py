"""Run the Alembic migrations programmatically (sync drivers; callable before the loop).

`prepare_database` migrates a database and creates Rasa's tracker table: every start runs it,
and so does the release step before several workers start (`python -m bot.migrate`, which
reads DATABASE_URL from the bot's settings; see the Procfile).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from storage.db import sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock key: workers starting together migrate one after the other.
MIGRATION_LOCK_KEY = 0x7472696167650001


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an ini option: ini values are %-interpolated.
    config.attributes["database_url"] = sync_url(url)
    return config


def _ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def exclusive(url: str) -> Iterator[None]:
    """One migrator at a time on PostgreSQL (an advisory lock); SQLite has one worker anyway."""
    if make_url(url).get_backend_name() != "postgresql":
        yield
        return
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
    finally:
        engine.dispose()


def migrate(url: str, revision: str = "head") -> None:
    _ensure_sqlite_directory(url)
    with exclusive(url):
        command.upgrade(alembic_config(url), revision)


def prepare_database(url: str) -> None:
    """Our schema, then Rasa's tracker table, so concurrent first starts do not race on it."""
    from storage.tracker import make_tracker_store

    _ensure_sqlite_directory(url)
    with exclusive(url):
        command.upgrade(alembic_config(url), "head")
        # Rasa creates its table when the store is built; building it here is the creation.
        make_tracker_store(url, None).engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


if __name__ == "__main__":
    # The release step reads the bot's settings, so it is the bot's: say so, not succeed.
    print("error: the release step is `python -m bot.migrate` now", file=sys.stderr)
    sys.exit(2)
