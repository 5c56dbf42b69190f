"""Where the bot keeps its data during a run: a fresh SQLite file or PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def fresh_postgres(name: str, admin_url: str = POSTGRES_ADMIN_URL) -> str:
    """Drop and create database `name` (it belongs to the benchmark); return its URL."""
    import psycopg2

    connection = psycopg2.connect(admin_url, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def postgres_reachable(admin_url: str = POSTGRES_ADMIN_URL) -> bool:
    try:
        import psycopg2

        psycopg2.connect(admin_url, connect_timeout=2).close()
    except Exception:
        return False
    return True


def run_database_name() -> str:
    """A database of this run's own: several people bench on one server at once, and a
    fixed name let one run's DROP DATABASE pull the data from under another's workers."""
    return f"bench_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def database_url(kind: str, workdir: Path, name: str | None = None) -> str:
    """`auto` is PostgreSQL when reachable (what several workers share), else SQLite."""
    if kind == "auto":
        kind = "postgresql" if postgres_reachable() else "sqlite"
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    if kind == "postgresql":
        return fresh_postgres(name or run_database_name())
    raise ValueError(f"unknown database kind {kind!r}")


def drop_postgres(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop a run's database at its end (nothing to drop for SQLite)."""
    if not url.startswith("postgresql"):
        return
    import psycopg2

    connection = psycopg2.connect(admin_url, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        connection.close()
