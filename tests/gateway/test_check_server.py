"""The server side of `python -m bot.check`: database migrations, Redis, model, actions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.check_server import check_action_server, check_database, check_model, check_redis
from bot.config import Settings, load_settings
from storage.migrate import migrate


def settings(**changes: object) -> Settings:
    return dataclasses.replace(load_settings({}), **changes)


async def test_database_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'check.db'}"
    pending = await check_database(settings(database_url=url))
    assert pending.warning and pending.line().startswith(
        "warn  database: migrations pending (at none, head ")
    migrate(url)
    assert (await check_database(settings(database_url=url))).line().startswith(
        "ok    database: migrations at head")


async def test_database_unreachable() -> None:
    result = await check_database(settings(database_url="postgresql://u:p@127.0.0.1:1/x"))
    assert result.failed
    assert result.line() == (
        "FAIL  database: cannot connect (OperationalError): check DATABASE_URL and that the "
        "database server is running and reachable")


async def test_redis_only_when_set_and_unreachable() -> None:
    assert await check_redis(settings(redis_url=None)) is None
    result = await check_redis(settings(redis_url="redis://127.0.0.1:1/0"))
    assert result is not None and result.line() == (
        "FAIL  redis: no answer to PING (ConnectionError): check REDIS_URL (host, port, "
        "password) and that Redis is running")


def test_model(tmp_path: Path) -> None:
    assert check_model().line() == "ok    model: triage.tar.gz up to date"
    assert check_model(tmp_path).line() == (
        "FAIL  model: triage.tar.gz missing: run `make train` (the start trains it too, "
        "for minutes)")


async def test_action_server() -> None:
    assert (await check_action_server(settings())).line() == (
        "ok    action server: started by the bot (python -m rasa_sdk)")
    down = await check_action_server(settings(action_server_url="http://127.0.0.1:1/webhook"))
    assert down.line() == (
        "FAIL  action server: http://127.0.0.1:1/health does not answer "
        "(ClientConnectorError): check ACTION_SERVER_URL and that the server is running")


async def test_a_database_ahead_of_the_code_fails(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'check.db'}"
    migrate(url)
    with sqlite3.connect(tmp_path / "check.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfacade01'")
    result = await check_database(settings(database_url=url))
    assert result.failed and result.permanent
    assert result.line().startswith("FAIL  database: at migration f00dfacade01, which this code "
                                    "does not know")


@pytest.mark.postgres
async def test_a_missing_postgres_database_is_permanent() -> None:
    from tests.pg import ADMIN_URL, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL not reachable")
    missing = ADMIN_URL.rsplit("/", 1)[0] + "/no_such_triage_db"
    result = await check_database(settings(database_url=missing))
    assert result.permanent and result.line() == (
        "FAIL  database: the database named in DATABASE_URL does not exist: create it "
        "(`createdb <name>`) or correct the name")


async def test_unreachable_servers_are_transient() -> None:
    database = await check_database(settings(database_url="postgresql://u:p@127.0.0.1:1/x"))
    redis = await check_redis(settings(redis_url="redis://127.0.0.1:1/0"))
    actions = await check_action_server(settings(action_server_url="http://127.0.0.1:1/webhook"))
    assert redis is not None
    assert [r.permanent for r in (database, redis, actions)] == [False, False, False]


@pytest.mark.redis
async def test_redis_refusing_the_password_is_permanent() -> None:
    result = await check_redis(settings(redis_url="redis://someone:pw-xyz@127.0.0.1:6379/0"))
    assert result is not None and result.permanent
    assert result.line() == (
        "FAIL  redis: Redis refuses the credentials (AuthenticationError): correct the user "
        "and password in REDIS_URL (Redis's requirepass or ACL user)")


async def test_an_answer_that_is_no_action_server_is_permanent() -> None:
    from aiohttp import web

    from bot.actionserver import free_port

    port = free_port()
    runner = web.AppRunner(web.Application())  # answers 404 to every path
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        result = await check_action_server(
            settings(action_server_url=f"http://user:pw-xyz@127.0.0.1:{port}/webhook"))
    finally:
        await runner.cleanup()
    assert result.permanent and result.line() == (
        f"FAIL  action server: http://127.0.0.1:{port}/health answers HTTP 404: not an action "
        "server; check ACTION_SERVER_URL")
