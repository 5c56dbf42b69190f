"""Serve the console with uvicorn inside the bot's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from starlette.applications import Starlette

log = logging.getLogger(__name__)


class ConsoleServer:
    """Starts and stops uvicorn as a task; `url` is where it really listens."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        # The bot owns SIGINT and SIGTERM; uvicorn must not install its own handlers.
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task: asyncio.Task[None] | None = None
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start (port in use, ...)
                raise RuntimeError("console server stopped during start-up")
            await asyncio.sleep(0.02)
        sockets = [s for server in self._server.servers for s in server.sockets]
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
