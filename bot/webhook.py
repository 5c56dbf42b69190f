"""The webhook endpoint: secret checked, body validated, update stored, then 200.

python-telegram-bot's own webhook server answers malformed JSON with 500 (it parses
outside its error handling) and compares the secret in variable time; this small aiohttp
server does neither, and never logs what it was sent.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import WebhookSettings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(self, app: Application, settings: WebhookSettings) -> None:
        self._app = app
        self._settings = settings
        self._runner: web.AppRunner | None = None

    async def _receive(self, request: web.Request) -> web.Response:
        """One update from Telegram; 200 only once it is stored."""
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self._settings.secret.encode()):
            log.warning("webhook request with a wrong or missing secret refused")
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self._app.bot)
        except Exception:  # any malformed body: JSON, shape or types
            log.warning("webhook request with a malformed body refused")
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        try:
            await self._app.update_queue.put(update)
        except Exception:
            # Not stored: Telegram keeps the update and sends it again.
            return web.Response(status=500)
        return web.Response(status=200)

    async def start(self) -> None:
        """Serve, then tell Telegram where (with the secret)."""
        server = web.Application(client_max_size=1 << 20)
        server.router.add_post(f"/{self._settings.path}", self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._settings.listen, self._settings.port).start()
        await self._app.bot.set_webhook(
            self._settings.url,
            secret_token=self._settings.secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("webhook serving", extra={"port": self._settings.port})

    async def stop(self) -> None:
        # The webhook stays set: other workers, or this one after a restart, keep serving it.
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
