"""Migrations: empty → head → base on both databases, and the models agree with them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import downgrade, migrate, sync_url
from storage.models import Base

OUR_TABLES = {
    "patients",
    "staff_members",
    "cases",
    "transcript_messages",
    "consent_records",
    "audit_log",
}


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_to_head_then_down_to_base(database_url: str) -> None:
    assert not _tables(database_url) & OUR_TABLES

    migrate(database_url)
    assert OUR_TABLES <= _tables(database_url)
    assert "events" not in _tables(database_url)

    downgrade(database_url, "base")
    assert not _tables(database_url) & OUR_TABLES

    migrate(database_url)  # and up again: the downgrade left nothing behind (functions...)
    assert OUR_TABLES <= _tables(database_url)


def test_models_and_migration_agree(migrated_url: str) -> None:
    assert _differences(migrated_url) == []


def test_model_without_migration_is_detected(migrated_url: str) -> None:
    """The comparison above can fail: a column missing from the database is reported."""
    metadata = sa.MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    sa.Table("patients", metadata, sa.Column("nickname", sa.String(20)), extend_existing=True)
    engine = sa.create_engine(sync_url(migrated_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert [diff[0] for diff in differences] == ["add_column"]


def test_migrate_is_idempotent(migrated_url: str) -> None:
    migrate(migrated_url)
    assert OUR_TABLES <= _tables(migrated_url)


def test_workers_starting_together_prepare_the_database_one_after_the_other(
    database_url: str,
) -> None:
    """Three first starts at once: all succeed, and our tables and Rasa's `events` exist."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.migrate import prepare_database

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one worker: workers never start together on it")
    pool = ThreadPoolExecutor(max_workers=3)
    try:
        # Without the lock, concurrent DDL deadlocks or collides: fail, do not hang.
        for future in [pool.submit(prepare_database, database_url) for _ in range(3)]:
            future.result(timeout=120)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert OUR_TABLES | {"events", "alembic_version"} <= _tables(database_url)


def test_the_migration_lock_excludes_a_second_holder(database_url: str) -> None:
    import threading

    from storage.migrate import exclusive

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one worker: there is no second migrator to exclude")
    entered = threading.Event()
    with exclusive(database_url):

        def second() -> None:
            with exclusive(database_url):
                entered.set()

        other = threading.Thread(target=second)
        other.start()
        assert not entered.wait(0.5), "a second migrator got in while the first held the lock"
    assert entered.wait(10)
    other.join()
