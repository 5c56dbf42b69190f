"""The server side of `python -m bot.check`: database migrations, Redis, model, actions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

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
