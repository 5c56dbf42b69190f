"""Both dialogue implementations against the trained model: in-process Agent and `rasa run`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import yaml

from bot.actionserver import ActionServer, free_port
from bot.dialogue import Dialogue
from bot.dialogue.inprocess import InProcessDialogue, payload_parse_data
from bot.dialogue.remote import RemoteDialogue
from bot.model import ensure_model
from bot.paths import ROOT
from tests.e2e.test_walking_skeleton import from_response

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model() -> Path:
    return ensure_model()


@pytest_asyncio.fixture(scope="module")
async def action_server() -> AsyncIterator[ActionServer]:
    async with ActionServer() as server:
        yield server


@pytest.fixture(scope="module")
def rasa_server(
    model: Path, action_server: ActionServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `rasa run` with the REST channel, its actions on our action server."""
    endpoints = tmp_path_factory.mktemp("rasa") / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: {action_server.webhook_url}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--model",
            str(model),
            "--enable-api",
            "--connector",
            "rest",
            "--port",
            str(port),
            "--endpoints",
            str(endpoints),
            "--interface",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_wait_ready(url, process))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(240):
            if process.poll() is not None:
                raise RuntimeError(f"rasa run exited with {process.returncode}")
            try:
                async with session.get(f"{url}/status") as response:
                    if response.status == 200 and (await response.json()).get("model_file"):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("rasa run did not become ready")


async def _check_start_and_greet(dialogue: Dialogue, sender: str) -> None:
    started = await dialogue.respond(sender, "/start", {"telegram": {"message_id": 1}})
    assert started[0].text and from_response(started[0].text, "utter_start")
    assert started[0].buttons, "the start offers buttons"
    greeted = await dialogue.respond(sender, "hello there", {"telegram": {"message_id": 2}})
    assert any(r.text and from_response(r.text, "utter_greet") for r in greeted)
    parsed = await dialogue.parse("hello there")
    assert parsed.name == "greet" and parsed.confidence > 0.5


async def test_in_process_agent_answers_from_the_model(
    model: Path, action_server: ActionServer
) -> None:
    dialogue = await InProcessDialogue.load(model, action_server.webhook_url)
    await _check_start_and_greet(dialogue, "seam-inprocess")
    await dialogue.close()


def _button_payloads() -> set[str]:
    """Every button payload the assistant offers (domain responses and our content)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            payload = node.get("payload")
            if isinstance(payload, str):
                found.add(payload)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (ROOT / "domain.yml", ROOT / "content" / "dialogue.yml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    # The gateway's own buttons (a consent clause's English original) never reach Rasa.
    return {payload for payload in found if not payload.startswith("gw:")}


async def test_a_button_payload_is_read_as_rasas_whole_pipeline_reads_it(
    model: Path, action_server: ActionServer
) -> None:
    dialogue = await InProcessDialogue.load(model, action_server.webhook_url)
    agent = dialogue._agent
    payloads = _button_payloads()
    assert len(payloads) >= 10 and any("{" in p for p in payloads)
    for payload in sorted(payloads):
        assert payload_parse_data(payload, agent.domain) == await agent.parse_message(payload)
    # Not a payload Rasa can unpack: left to the pipeline.
    for text in ("hello there", "/no_such_intent", " / spaced", "/affirm{broken"):
        shortcut = payload_parse_data(text, agent.domain)
        assert shortcut is None or shortcut == await agent.parse_message(text)
    await dialogue.close()


async def test_remote_rasa_server_answers_the_same_way(rasa_server: str) -> None:
    dialogue = RemoteDialogue(rasa_server)
    try:
        await _check_start_and_greet(dialogue, "seam-remote")
    finally:
        await dialogue.close()
