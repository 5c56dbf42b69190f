"""BotApiEmulator: the Bot API over HTTP, file downloads and the control API, on aiohttp."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from emulator.api_chats import HANDLERS as CHAT_HANDLERS
from emulator.api_commands import HANDLERS as COMMAND_HANDLERS
from emulator.api_edits import HANDLERS as EDIT_HANDLERS
from emulator.api_messages import HANDLERS as MESSAGE_HANDLERS
from emulator.api_topics import HANDLERS as TOPIC_HANDLERS
from emulator.api_updates import HANDLERS as UPDATE_HANDLERS
from emulator.call import Call, Handler
from emulator.control import Controls
from emulator.control_http import ControlRoutes
from emulator.errors import ApiError
from emulator.limits import TELEGRAM_LIMITS, FloodLimits
from emulator.params import Params, read_params
from emulator.webhook import WebhookDelivery
from emulator.world import World

LOGGER = logging.getLogger(__name__)
DEFAULT_TOKEN = "123456789:AAEmulatorTestTokenForLocalUseOnly00"
DEFAULT_BOT_USERNAME = "triage_test_bot"
DEFAULT_BOT_NAME = "Triage Test Bot"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots
HANDLERS: dict[str, Handler] = {
    **MESSAGE_HANDLERS, **EDIT_HANDLERS, **CHAT_HANDLERS, **TOPIC_HANDLERS, **COMMAND_HANDLERS,
    **UPDATE_HANDLERS,
}


class BotApiEmulator(Controls):
    """A local Telegram Bot API: point PTB's base_url at `{base}/bot`, base_file_url at
    `{base}/file/bot`. Control methods come from `Controls`.

    Telegram's sending limits are on unless `flood_limits` says otherwise
    (`FloodLimits.off()`, or other rates); `set_flood_limits` changes them later."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_NAME,
        webhook_retry_delay: float = 0.1,
        flood_limits: FloodLimits = TELEGRAM_LIMITS,
    ) -> None:
        self.world = World(flood_limits)
        self.world.add_bot(token, bot_username, bot_first_name)
        self.token = token
        self._webhook_retry_delay = webhook_retry_delay
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhooks: WebhookDelivery | None = None
        self._base_url: str | None = None

    # --- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not started")
        return self._base_url

    @property
    def bot_base_url(self) -> str:
        """PTB's `base_url`."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """PTB's `base_file_url`."""
        return f"{self.base_url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.world.bot(self.token).user

    def add_bot(
        self, token: str, username: str, first_name: str = "Bot"
    ) -> dict[str, Any]:
        """Another bot the emulator answers for; returns its User object."""
        if token in self.world.bots:
            return self.world.bots[token].user
        account = self.world.add_bot(token, username, first_name)
        for chat in self.world.chats.values():
            if chat.type != "private":
                chat.members.setdefault(account.id, "administrator")
        if self._webhooks is not None:
            self._webhooks.watch(account)
        return account.user

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves on host:port (0 picks a free port); returns the base URL."""
        if self._runner is not None:
            return self.base_url
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        ControlRoutes(self).register(app)
        # access_log=None: request lines carry bot tokens.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self._base_url = f"http://{host}:{bound_port}"
        self._session = aiohttp.ClientSession()
        self._webhooks = WebhookDelivery(self.world, self._session, self._webhook_retry_delay)
        for bot in self.world.bots.values():
            self._webhooks.watch(bot)
        LOGGER.info("Bot API emulator listening on %s (%d bot(s))", self._base_url,
                    len(self.world.bots))
        return self._base_url

    async def stop(self) -> None:
        if self._webhooks is not None:
            await self._webhooks.close()
            self._webhooks = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            LOGGER.info("Bot API emulator stopped")
        self._base_url = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- HTTP handlers ----------------------------------------------------------------

    async def _bot_api(self, request: web.Request) -> web.Response:
        bot = self.world.bots.get(request.match_info["token"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").to_body(), status=401)
        method = request.match_info["method"]
        handler = HANDLERS.get(method.lower())
        if handler is None:
            return web.json_response(ApiError(404, "Not Found").to_body(), status=404)
        started = time.monotonic()
        params: Params | None = None
        flood_limit: str | None = None
        try:
            params = await read_params(request)
            fault = self.world.faults.take(bot.id, method)
            if fault is not None:
                raise fault.to_error()
            admission = self.world.flood.admit(bot.id, method, self._known_chat_id(params))
            result = await handler(Call(self.world, bot, params))
            # Only what Telegram accepted counts against the limits.
            admission.commit()
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body, flood_limit = exc.status, exc.to_body(), exc.flood_limit
        bot.call_counts[method if status == 200 else f"{method} {status}"] += 1
        bot.calls.append({
            "method": method,
            "params": params.loggable() if params else {},
            "status": status,
            "flood_limit": flood_limit,
            "retry_after": (body.get("parameters") or {}).get("retry_after"),
            "time": time.time(),
        })
        LOGGER.debug("%s -> %d in %.1f ms", method, status, (time.monotonic() - started) * 1000)
        return web.json_response(body, status=status)

    def _known_chat_id(self, params: Params) -> int | None:
        """The chat a call names, resolved (ids or @usernames); None if there is none."""
        chat_id = params.raw("chat_id")
        if chat_id is None or chat_id == "":
            return None
        try:
            return self.world.chat(params.chat_id()).id
        except ApiError:
            return None  # the handler answers "chat not found"

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.world.bots:
            return web.json_response(ApiError(401, "Unauthorized").to_body(), status=401)
        stored = self.world.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").to_body(), status=404)
        return web.Response(body=stored.content,
                            content_type=stored.mime_type or "application/octet-stream")
