"""The control API over HTTP: `POST {base}/_emu/{method}` with the keyword arguments as JSON.

Answers `{"ok": true, "result": ...}`; a wrong call answers 400 and a wait that timed out
answers 408, both as `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import base64
import functools
import inspect
import logging
from typing import Any

from aiohttp import web

from emulator.control import Controls
from emulator.errors import ApiError, ControlError, EmulatorTimeout

LOGGER = logging.getLogger(__name__)


@functools.cache
def control_methods() -> frozenset[str]:
    """Public Controls coroutines (bytes come from GET /_emu/files/...), plus add_bot."""
    coroutines = inspect.getmembers(Controls, inspect.iscoroutinefunction)
    return frozenset(
        name for name, _ in coroutines if not name.startswith("_") and name != "file_bytes"
    ) | {"add_bot"}


def _error(status: int, message: str, *, timeout: bool = False) -> web.Response:
    return web.json_response({"ok": False, "error": message, "timeout": timeout}, status=status)


class ControlRoutes:
    """aiohttp handlers bound to one emulator."""

    def __init__(self, controls: Controls) -> None:
        self._controls = controls

    def register(self, app: web.Application) -> None:
        app.router.add_get("/_emu/files/{file_id}", self.file_bytes)
        app.router.add_post("/_emu/{method}", self.call)

    async def call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in control_methods():
            return _error(404, f"unknown control method {method!r}")
        try:
            kwargs: dict[str, Any] = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "the body must be a JSON object of keyword arguments")
        if not isinstance(kwargs, dict):
            return _error(400, "the body must be a JSON object of keyword arguments")
        if "content_base64" in kwargs:
            kwargs["content"] = base64.b64decode(kwargs.pop("content_base64"))
        if "members" in kwargs and isinstance(kwargs["members"], dict):
            kwargs["members"] = {int(k): v for k, v in kwargs["members"].items()}
        target = getattr(self._controls, method)
        try:
            result = target(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except EmulatorTimeout as exc:
            return _error(408, str(exc), timeout=True)
        except (ControlError, ApiError, TypeError, KeyError, ValueError) as exc:
            LOGGER.info("control call %s refused: %s", method, type(exc).__name__)
            return _error(400, str(exc))
        return web.json_response({"ok": True, "result": result})

    async def file_bytes(self, request: web.Request) -> web.Response:
        try:
            content = await self._controls.file_bytes(request.match_info["file_id"])
        except ControlError as exc:
            return _error(404, str(exc))
        return web.Response(body=content, content_type="application/octet-stream")
