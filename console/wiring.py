"""Build the console from the started runtime (console/host.py) and serve it beside the bot."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

from bot.config import ConsoleSettings
from console.app import build_console
from console.context import ConsoleContext, RenderReceipt
from console.health import probes_for
from console.host import ConsoleHost
from console.server import ConsoleServer
from console.staff import staff_check_for


def signing_key(pseudonym_secret: bytes) -> bytes:
    """A key of its own for console links and sessions, derived from PSEUDONYM_SECRET."""
    return hmac.new(pseudonym_secret, b"console-signing-key", hashlib.sha256).digest()


def _receipt_renderer(runtime: ConsoleHost) -> RenderReceipt | None:
    """The bot's receipt child process (bot/receipts.py): a download costs the turns nothing."""
    gateway = runtime.app.bot_data.get("gateway") if runtime.app is not None else None
    return gateway.receipts.render if gateway is not None else None


async def start_console(runtime: ConsoleHost, settings: ConsoleSettings) -> ConsoleServer:
    """The console app on the runtime's database, staff check and health probes."""
    assert runtime.database is not None and runtime.repository is not None
    context = ConsoleContext(
        settings=settings,
        database=runtime.database,
        repository=runtime.repository,
        signing_key=signing_key(runtime.settings.pseudonym_secret),
        is_staff=staff_check_for(runtime),
        health=probes_for(runtime),
        render_receipt=_receipt_renderer(runtime),
    )
    runtime_app = runtime.app
    if runtime_app is not None:
        runtime_app.bot_data["console"] = context
    server = ConsoleServer(build_console(context), settings.host, settings.port)
    await server.start()
    if settings.port == 0 and settings.public_url.endswith(":0"):
        # Listening on a free port (tests, several workers): links must name the real one.
        context.settings = dataclasses.replace(settings, public_url=server.url)
    return server
