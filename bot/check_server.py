"""The server side of `python -m bot.check`: the database and its migrations, Redis, the
model and the action server. One `Result` (bot/check.py) each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bot.check import Result
from bot.config import Settings


def _migration_state(url: str) -> tuple[str | None, set[str]]:
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import sync_url
    from storage.migrate import alembic_config

    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


async def check_database(settings: Settings) -> Result:
    try:
        current, heads = await asyncio.to_thread(_migration_state, settings.database_url)
    except Exception as error:  # the driver's own errors: any of them means "not reachable"
        return Result("database", problem=f"cannot connect ({type(error).__name__}): check "
                      "DATABASE_URL and that the database server is running and reachable")
    if current in heads:
        return Result("database", f"migrations at head ({current})")
    return Result("database", warning=True, problem=f"migrations pending (at {current or 'none'}"
                  f", head {', '.join(sorted(heads))}): the start applies them, or run "
                  "`python -m storage.migrate` before starting several workers")


async def check_redis(settings: Settings) -> Result | None:
    if not settings.redis_url:
        return None
    import redis.asyncio as redis

    client = redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as error:
        return Result("redis", problem=f"no answer to PING ({type(error).__name__}): check "
                      "REDIS_URL (host, port, password) and that Redis is running")
    finally:
        await client.close()
    return Result("redis", "answers PING")


def check_model(models_dir: Path | None = None) -> Result:
    from bot.model import MODELS, model_path, training_fingerprint

    target = model_path(models_dir or MODELS)
    if not target.exists():
        return Result("model", problem=f"{target.name} missing: run `make train` (the start "
                      "trains it too, for minutes)")
    stamp = target.with_name(target.name.removesuffix(".tar.gz") + ".fingerprint")
    if not stamp.exists() or stamp.read_text().strip() != training_fingerprint():
        return Result("model", warning=True, problem=f"{target.name} is older than the "
                      "training data: run `make train` (the start would train it first)")
    return Result("model", f"{target.name} up to date")


async def check_action_server(settings: Settings) -> Result:
    if settings.rasa_url:
        url, name = settings.rasa_url + "/", "RASA_URL"
    elif settings.action_server_url:
        url, name = settings.action_server_url.rsplit("/", 1)[0] + "/health", "ACTION_SERVER_URL"
    else:
        return Result("action server", "started by the bot (python -m rasa_sdk)")
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            if answer.status == 200:
                return Result("action server", f"{url} answers")
            status = f"HTTP {answer.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        status = type(error).__name__
    return Result("action server", problem=f"{url} does not answer ({status}): check {name} "
                  "and that the server is running", permanent=False)


async def server_checks(settings: Settings) -> list[Result]:
    results = [await check_database(settings)]
    redis_result = await check_redis(settings)
    if redis_result is not None:
        results.append(redis_result)
    results.append(check_model())
    results.append(await check_action_server(settings))
    return results
