"""The server's checks at start-up (bot/preflight.py), through `Runtime.start` on the emulator:
a failure no retry changes stops the start with exit code 2 and its one line; a server not
reachable yet is retried with backoff (exit code 1 when it stays so, the start going on
when it comes up); no line or log quotes a password."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.actionserver import free_port
from bot.config import Settings, load_settings
from bot.model import ensure_model
from bot.preflight import own_action_server_ready
from bot.runtime import Runtime
from emulator import BotApiEmulator
from storage.migrate import migrate

FAST = (0.01, 0.01)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as running:
        yield running


@pytest.fixture
async def group(emulator: BotApiEmulator) -> int:
    return int((await emulator.create_group("Care team", forum=True))["id"])


async def serve_health(port: int, status: int = 200) -> web.AppRunner:
    """An action server's /health on `port` (another program, as ACTION_SERVER_URL names)."""
    app = web.Application()
    app.router.add_get("/health", lambda _request: web.json_response({}, status=status))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@pytest.fixture
async def action_server() -> AsyncIterator[str]:
    port = free_port()
    runner = await serve_health(port)
    yield f"http://127.0.0.1:{port}/webhook"
    await runner.cleanup()


def settings_for(emulator: BotApiEmulator, group: int, tmp_path: Path, **env: str) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "STAFF_CHAT_ID": str(group),
        "PSEUDONYM_SECRET": "test-secret-" * 4,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "CONSOLE_LISTEN": "off",
        **env,
    }
    return load_settings(values)


async def stopped_start(runtime: Runtime) -> int:
    """Start, expecting the start to stop; its exit code."""
    try:
        with pytest.raises(SystemExit) as stopped:
            await runtime.start()
    finally:
        await runtime.stop()
    assert isinstance(stopped.value.code, int)
    return stopped.value.code


def retries(caplog: pytest.LogCaptureFixture) -> list[float]:
    return [record.retry_in_seconds for record in caplog.records
            if record.getMessage() == "start-up check failed, retrying"]


async def test_a_missing_model_stops_the_start(
    emulator: BotApiEmulator, group: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = Runtime(settings_for(emulator, group, tmp_path), emulator.token,
                      model_path=tmp_path / "triage.tar.gz", retry_delays=FAST)
    assert await stopped_start(runtime) == 2
    assert capsys.readouterr().err == (
        "error: FAIL  model: triage.tar.gz missing: run `make train` (the start trains it too,"
        " for minutes)\n")
    # Before the action server, the migrations and the model's loading.
    assert runtime.action_server is None and runtime.database is None


async def test_redis_not_reachable_is_retried_then_stops_the_start(
    emulator: BotApiEmulator, group: int, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    settings = settings_for(emulator, group, tmp_path, REDIS_URL="redis://:pw-xyz@127.0.0.1:1/0")
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(), retry_delays=FAST)
    assert await stopped_start(runtime) == 1
    err = capsys.readouterr().err
    assert err == ("error: FAIL  redis: no answer to PING (ConnectionError): check REDIS_URL "
                   "(host, port, password) and that Redis is running\n")
    assert retries(caplog) == [0.01, 0.01]
    assert "pw-xyz" not in err + caplog.text
    assert runtime.database is None


@pytest.mark.redis
async def test_redis_refusing_the_password_stops_the_start_at_once(
    emulator: BotApiEmulator, group: int, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    settings = settings_for(emulator, group, tmp_path,
                            REDIS_URL="redis://someone:pw-xyz@127.0.0.1:6379/0")
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(), retry_delays=FAST)
    assert await stopped_start(runtime) == 2
    err = capsys.readouterr().err
    assert err == ("error: FAIL  redis: Redis refuses the credentials (AuthenticationError): "
                   "correct the user and password in REDIS_URL (Redis's requirepass or ACL "
                   "user)\n")
    assert retries(caplog) == []
    assert "pw-xyz" not in err + caplog.text


async def test_a_database_a_newer_version_migrated_stops_the_start(
    emulator: BotApiEmulator, group: int, tmp_path: Path, action_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(emulator, group, tmp_path, ACTION_SERVER_URL=action_server)
    migrate(settings.database_url)
    with sqlite3.connect(tmp_path / "bot.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfacade01'")
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(), retry_delays=FAST)
    assert await stopped_start(runtime) == 2
    assert capsys.readouterr().err == (
        "error: FAIL  database: at migration f00dfacade01, which this code does not know (a "
        "newer version migrated it): run that version, or point DATABASE_URL at this "
        "version's database\n")
    assert runtime.database is None


async def test_a_database_server_not_reachable_is_retried_then_stops_the_start(
    emulator: BotApiEmulator, group: int, tmp_path: Path, action_server: str,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    settings = settings_for(emulator, group, tmp_path, ACTION_SERVER_URL=action_server,
                            DATABASE_URL="postgresql://triage:pw-xyz@127.0.0.1:1/triage")
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(), retry_delays=FAST)
    assert await stopped_start(runtime) == 1
    err = capsys.readouterr().err
    assert err == ("error: FAIL  database: cannot connect (OperationalError): check "
                   "DATABASE_URL and that the database server is running and reachable\n")
    assert retries(caplog) == [0.01, 0.01]
    assert "pw-xyz" not in err + caplog.text


@pytest.mark.postgres
async def test_a_missing_database_stops_the_start(
    emulator: BotApiEmulator, group: int, tmp_path: Path, action_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.pg import ADMIN_URL, postgres_available

    if not postgres_available():
        pytest.skip("PostgreSQL not reachable")
    missing = ADMIN_URL.rsplit("/", 1)[0] + "/no_such_triage_db"
    settings = settings_for(emulator, group, tmp_path, ACTION_SERVER_URL=action_server,
                            DATABASE_URL=missing)
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(), retry_delays=FAST)
    assert await stopped_start(runtime) == 2
    assert capsys.readouterr().err == (
        "error: FAIL  database: the database named in DATABASE_URL does not exist: create it "
        "(`createdb <name>`) or correct the name\n")


async def test_an_action_server_that_comes_up_late_lets_the_start_go_on(
    emulator: BotApiEmulator, group: int, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    port = free_port()
    settings = settings_for(emulator, group, tmp_path,
                            ACTION_SERVER_URL=f"http://127.0.0.1:{port}/webhook")
    runtime = Runtime(settings, emulator.token, model_path=ensure_model(),
                      retry_delays=(0.2,) * 20)

    async def come_up_late() -> web.AppRunner:
        await asyncio.sleep(0.3)
        return await serve_health(port)

    late = asyncio.create_task(come_up_late())
    try:
        await runtime.start()
        assert runtime.app is not None and runtime.app.running
        assert retries(caplog)[:1] == [0.2]
    finally:
        await runtime.stop()
        await (await late).cleanup()


async def test_our_action_server_exiting_stops_the_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.actionserver import ActionServer

    port = free_port()
    taken = await serve_health(port, status=404)  # another program holds the port
    server = ActionServer(port=port, startup_timeout=60)
    try:
        server.spawn()
        with pytest.raises(SystemExit) as stopped:
            await own_action_server_ready(server)
    finally:
        await server.stop()
        await taken.cleanup()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: FAIL  action server: `python -m rasa_sdk --actions actions` exited with code "
        f"{server.exit_code} at start: its error is on stderr; fix it, or run an action server "
        "yourself and set ACTION_SERVER_URL\n")
