"""PostgreSQL for tests: reachable on 127.0.0.1:5432 here and in CI; skipped elsewhere."""

from __future__ import annotations

import atexit
import os
import uuid

import pytest

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_CREATED: list[str] = []


def postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(ADMIN_URL, connect_timeout=2).close()
    except Exception:
        return False
    return True


def _run(statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _drop_created() -> None:
    """At the process's end: the databases this process made (nothing else uses them)."""
    for name in _CREATED:
        try:
            _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # the server went away first: nothing left to tidy
            pass


def fresh_database(name: str) -> str:
    """A new, empty database named after `name`; return its URL. Skips without PostgreSQL.

    The name gets this process's id and a random tail: test workers, and a person's run
    beside CI's on one server, each drop and create only their own (a shared fixed name
    let one run's DROP ... WITH (FORCE) cut another's connections mid-test).
    """
    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")
    unique = f"{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _run(f'CREATE DATABASE "{unique}"')
    if not _CREATED:
        atexit.register(_drop_created)
    _CREATED.append(unique)
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{unique}"
