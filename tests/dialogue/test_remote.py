"""RemoteDialogue against an HTTP server speaking Rasa's REST channel and /model/parse.

The stand-in server replays the exact response shapes Rasa 3.6 produces, including the
empty 200 that Rasa's REST channel returns when the dialogue fails. A test against a
real `rasa run` server is in test_remote_rasa.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.dialogue import BotReply, Button, DialogueError
from bot.dialogue.remote import RemoteDialogue


class RasaStandIn:
    def __init__(self) -> None:
        self.answer: Any = []
        self.status = 200
        self.received: list[dict[str, Any]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response(self.answer, status=self.status)

    async def parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {"text": body["text"], "intent": {"name": "greet", "confidence": 0.97}, "entities": []}
        )


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[RasaStandIn, str]]:
    stand_in = RasaStandIn()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", stand_in.webhook)
    app.router.add_post("/model/parse", stand_in.parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield stand_in, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_replies_buttons_and_custom_payloads_are_read(rasa: tuple[RasaStandIn, str]) -> None:
    stand_in, url = rasa
    stand_in.answer = [
        {"recipient_id": "7", "text": "Hello!"},
        {
            "recipient_id": "7",
            "text": "Pick one",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        },
        {"recipient_id": "7", "custom": {"type": "consent_completed"}},
    ]
    dialogue = RemoteDialogue(url)
    try:
        replies = await dialogue.respond("7", "hi", {"telegram": {"message_id": 3}})
    finally:
        await dialogue.close()
    assert replies == [
        BotReply(text="Hello!"),
        BotReply(text="Pick one", buttons=(Button("Yes", "/affirm"),)),
        BotReply(custom={"type": "consent_completed"}),
    ]
    assert stand_in.received == [
        {"sender": "7", "message": "hi", "metadata": {"telegram": {"message_id": 3}}}
    ]


async def test_an_empty_200_is_an_error_not_silence(rasa: tuple[RasaStandIn, str]) -> None:
    stand_in, url = rasa
    stand_in.answer = []
    dialogue = RemoteDialogue(url)
    with pytest.raises(DialogueError, match="no reply"):
        await dialogue.respond("7", "hi", {})
    await dialogue.close()


async def test_http_errors_and_unreachable_servers_are_dialogue_errors(
    rasa: tuple[RasaStandIn, str],
) -> None:
    stand_in, url = rasa
    stand_in.status = 500
    dialogue = RemoteDialogue(url)
    with pytest.raises(DialogueError, match="HTTP 500"):
        await dialogue.respond("7", "hi", {})
    await dialogue.close()
    unreachable = RemoteDialogue("http://127.0.0.1:9", timeout_seconds=2)
    with pytest.raises(DialogueError, match="unreachable"):
        await unreachable.respond("7", "hi", {})
    await unreachable.close()


async def test_parse_uses_model_parse(rasa: tuple[RasaStandIn, str]) -> None:
    _, url = rasa
    dialogue = RemoteDialogue(url)
    parsed = await dialogue.parse("hello")
    await dialogue.close()
    assert (parsed.name, parsed.confidence) == ("greet", 0.97)
