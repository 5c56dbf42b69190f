"""The console's server: it listens where it says, stops cleanly, and a taken port is an OSError."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from console.server import ConsoleServer


def tiny_app() -> Starlette:
    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


async def test_serves_on_a_free_port_and_stops() -> None:
    server = ConsoleServer(tiny_app(), "127.0.0.1", 0)
    await server.start()
    assert server.port != 0
    async with httpx.AsyncClient() as http:
        assert (await http.get(server.url + "/")).text == "hello"
    await server.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(server.url + "/")


async def test_a_taken_port_is_an_oserror_not_an_exit() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        server = ConsoleServer(tiny_app(), "127.0.0.1", taken.getsockname()[1])
        with pytest.raises(OSError):
            await server.start()
    finally:
        taken.close()
