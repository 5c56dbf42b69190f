"""The server's checks at start-up (bot/check_server.py), each at its moment in
`Runtime.start`: the model, Redis and a remote Rasa or action server before anything starts;
the database as it is migrated; the bot's own action server once it should answer.

As with the Telegram checks (bot/check.py `settle`): a failure no retry changes stops the
start with its line on stderr and exit code 2; a server not reachable yet is logged and
retried with backoff, and stops the start with exit code 1 when it stays so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.check import STARTUP_RETRY_DELAYS, settle, stop_start
from bot.check_result import Result
from bot.check_server import (
    check_action_server,
    check_model_file,
    check_redis,
    database_problem,
    migration_result,
    migration_state,
)
from bot.config import Settings

if TYPE_CHECKING:
    from bot.actionserver import ActionServer

Sleep = Callable[[float], Awaitable[None]]


async def server_preflight(
    settings: Settings,
    model: Path,
    delays: Sequence[float] = STARTUP_RETRY_DELAYS,
    sleep: Sleep = asyncio.sleep,
) -> list[Result]:
    """Before anything starts: the model (unless RASA_URL serves it), Redis when REDIS_URL is
    set, and RASA_URL's or ACTION_SERVER_URL's server when one is set."""

    async def run() -> list[Result]:
        results = [] if settings.rasa_url else [check_model_file(model)]
        redis = await check_redis(settings)
        if redis is not None:
            results.append(redis)
        if settings.rasa_url or settings.action_server_url:
            results.append(await check_action_server(settings))
        return results

    return await settle(run, "server", delays, sleep)


def _prepared(prepare: Callable[[str], None], url: str) -> tuple[str | None, set[str], set[str]]:
    prepare(url)
    return migration_state(url)


async def migrated_database(
    url: str,
    prepare: Callable[[str], None],
    delays: Sequence[float] = STARTUP_RETRY_DELAYS,
    sleep: Sleep = asyncio.sleep,
) -> Result:
    """Migrate with `prepare`, then check the database is at this code's head; retried while
    the database server is not reachable. A failure we cannot name is raised as it is."""

    async def run() -> list[Result]:
        try:
            state = await asyncio.to_thread(_prepared, prepare, url)
        except Exception as error:
            result = database_problem(error)
            if result is None:
                raise
            return [result]
        return [migration_result(*state)]

    return (await settle(run, "database", delays, sleep))[0]


async def own_action_server_ready(server: ActionServer) -> None:
    """The action server the bot started answers /health; one line and exit 2 when it exited
    (our actions cannot start), exit 1 when it stayed silent (a slow or overloaded machine)."""
    try:
        await server.wait_ready()
        return
    except RuntimeError:
        code = server.exit_code
    command = "`python -m rasa_sdk --actions actions`"
    if code is not None:
        stop_start([Result("action server", problem=f"{command} exited with code {code} at "
                           "start: its error is on stderr; fix it, or run an action server "
                           "yourself and set ACTION_SERVER_URL")], 2)
    stop_start([Result("action server", problem=f"{command} did not answer /health in time: "
                       "the machine may be overloaded; start again, or run an action server "
                       "yourself and set ACTION_SERVER_URL", permanent=False)], 1)
