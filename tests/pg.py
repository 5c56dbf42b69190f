"""PostgreSQL for tests: reachable on 127.0.0.1:5432 here and in CI; skipped elsewhere."""

from __future__ import annotations

import os

import pytest

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(ADMIN_URL, connect_timeout=2).close()
    except Exception:
        return False
    return True


def fresh_database(name: str) -> str:
    """Drop and create database `name`; return its URL. Skips the test without PostgreSQL."""
    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")
    import psycopg2

    connection = psycopg2.connect(ADMIN_URL)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
