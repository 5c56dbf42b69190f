"""Alembic environment: one script for SQLite and PostgreSQL, always with the sync driver.

The URL comes from `storage.migrate` (config attribute), else from the ini's
sqlalchemy.url, else from DATABASE_URL, else the project's default SQLite file.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from alembic import context

from storage.db import sync_url
from storage.migrations.env_filters import include_object
from storage.models import Base

DEFAULT_DATABASE_URL = "sqlite:///var/triage.db"


def _database_url() -> str:
    config = context.config
    url = (
        config.attributes.get("database_url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    return sync_url(url)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    url = _database_url()
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = sa.create_engine(_database_url(), poolclass=sa.pool.NullPool, future=True)
    with engine.connect() as connection:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
