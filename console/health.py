"""The probes behind /healthz: one per dependency the bot cannot answer patients without.

Each probe answers (ok, detail) or raises; /healthz (console/ops.py) bounds it by a timeout
and turns an exception into its type's name. Details never hold a URL or an exception's
message: a URL may carry a password, a message may quote one. Probes read the runtime when
they run, not when they are built: the action server or the dialogue may be replaced while
the bot runs (a restart of the child process).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import aiohttp
import sqlalchemy as sa

from console.context import HealthProbe
from console.host import ConsoleHost

# Each probe's own bound (connect and answer); /healthz bounds it as well.
PROBE_TIMEOUT = 2.0


def probes_for(runtime: ConsoleHost) -> dict[str, HealthProbe]:
    """The database, Redis when REDIS_URL is set, the model, and the action server."""
    settings = runtime.settings
    probes: dict[str, HealthProbe] = {"database": database_probe(runtime)}
    if settings.redis_url:
        probes["redis"] = redis_probe(settings.redis_url)
    probes["model"] = model_probe(runtime)
    # With RASA_URL and no ACTION_SERVER_URL the actions are the Rasa server's own affair.
    if runtime.action_server is not None or settings.action_server_url is not None:
        probes["action_server"] = action_server_probe(runtime)
    return probes


def database_probe(runtime: ConsoleHost) -> HealthProbe:
    """SELECT 1 on the bot's own engine (so a full pool shows as slow, as turns see it)."""

    async def probe() -> tuple[bool, str]:
        database = runtime.database
        if database is None:
            return False, "not started"
        async with database.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        return True, database.dialect

    return probe


def redis_probe(redis_url: str) -> HealthProbe:
    """PING on a connection of its own, closed after."""

    async def probe() -> tuple[bool, str]:
        from redis.asyncio import Redis

        client = Redis.from_url(
            redis_url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
        )
        try:
            answered = await client.ping()
        finally:
            await client.close()
        return (True, "PONG") if answered else (False, "no PONG")

    return probe


def model_probe(runtime: ConsoleHost) -> HealthProbe:
    """The in-process Agent loaded and ready, or the Rasa server's /status (RASA_URL)."""

    async def probe() -> tuple[bool, str]:
        rasa_url = runtime.settings.rasa_url
        if rasa_url is not None:
            status = await http_status(f"{rasa_url.rstrip('/')}/status")
            # Rasa answers 409 while it has no model loaded.
            if status == 200:
                return True, "Rasa server: model loaded"
            return False, f"Rasa server: HTTP {status}"
        from bot.dialogue.inprocess import InProcessDialogue

        dialogue = runtime.dialogue
        if not isinstance(dialogue, InProcessDialogue):
            return False, "not loaded"
        agent = dialogue.agent
        if not agent.is_ready():
            return False, "in process: agent not ready"
        return True, f"in process: {agent.model_name}"

    return probe


def action_server_probe(runtime: ConsoleHost) -> HealthProbe:
    """rasa_sdk's GET /health, on the child process the runtime started or ACTION_SERVER_URL."""

    async def probe() -> tuple[bool, str]:
        server = runtime.action_server
        if server is not None:
            url, where = f"http://127.0.0.1:{server.port}/health", "child process"
        elif runtime.settings.action_server_url is not None:
            url, where = health_url(runtime.settings.action_server_url), "ACTION_SERVER_URL"
        else:
            return False, "not running"
        status = await http_status(url)
        return status == 200, f"{where}: HTTP {status}"

    return probe


def health_url(webhook_url: str) -> str:
    """rasa_sdk's /health beside its /webhook (ACTION_SERVER_URL names the webhook)."""
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/")
    if path.endswith("/webhook"):
        path = path[: -len("/webhook")]
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/health", "", ""))


async def http_status(url: str) -> int:
    """The status of a GET, within PROBE_TIMEOUT; no redirects followed."""
    timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        await response.read()
        return response.status
