"""A Rasa server reached over HTTP through its REST channel (`RASA_URL`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.dialogue.base import (
    BotReply,
    DialogueError,
    ParsedIntent,
    parsed_from_rasa,
    replies_from_rasa,
)


class RemoteDialogue:
    """Talks to `rasa run --enable-api` with the `rest` channel enabled."""

    def __init__(self, base_url: str, timeout_seconds: float = 30.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _post(self, path: str, body: Mapping[str, Any]) -> Any:
        try:
            async with self._client().post(f"{self._base_url}{path}", json=body) as response:
                if response.status != 200:
                    raise DialogueError(f"Rasa answered HTTP {response.status} on {path}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DialogueError(f"Rasa unreachable: {type(exc).__name__}") from exc

    async def respond(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[BotReply]:
        """POST to the REST webhook; an empty list means Rasa failed, not that it chose silence."""
        body = {"sender": sender_id, "message": text, "metadata": dict(metadata)}
        answer = await self._post("/webhooks/rest/webhook", body)
        if not isinstance(answer, list):
            raise DialogueError("Rasa's REST channel answered with something other than a list")
        return replies_from_rasa(answer)

    async def parse(self, text: str) -> ParsedIntent:
        """Use the HTTP API's /model/parse."""
        answer = await self._post("/model/parse", {"text": text})
        if not isinstance(answer, Mapping):
            raise DialogueError("Rasa's /model/parse answered with something other than an object")
        return parsed_from_rasa(answer)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
