"""Fixtures: every storage test runs on SQLite (a temp file) and on PostgreSQL when reachable
(TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test; skipped otherwise).

PostgreSQL tests use a scratch database created for the session (dropped at the end);
if the server refuses to create one they use `test` itself. Either way all our tables,
Rasa's `events` and Alembic's version table are dropped before and after each test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from storage import Database, Repository, migrate

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PSEUDONYM_SECRET = b"storage-tests-secret"
def _connect(url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(url, connect_timeout=3)
    connection.autocommit = True
    return connection


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def reset_postgres(url: str) -> None:
    with _connect(url) as connection, connection.cursor() as cursor:
        # The scratch database holds nothing else: a new public schema is a clean slate,
        # whatever tables, functions and Rasa's `events` a test left behind.
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        admin = _connect(POSTGRES_URL)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {str(error).strip()}")
    name = f"storage_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        scratch = True
    except psycopg2.Error:
        scratch = False
    url = _with_database(POSTGRES_URL, name) if scratch else POSTGRES_URL
    try:
        yield url
    finally:
        if scratch:
            with admin.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'triage.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    try:
        yield url
    finally:
        reset_postgres(url)


@pytest.fixture
def migrated_url(database_url: str) -> str:
    migrate(database_url)
    return database_url


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def pseudonym_secret() -> bytes:
    return PSEUDONYM_SECRET


@pytest.fixture
def repo(db: Database, pseudonym_secret: bytes) -> Repository:
    return Repository(db, pseudonym_secret)
