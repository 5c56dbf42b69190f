"""The HTTP surface beyond PTB: JSON and query-string bodies, errors, standalone process."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from emulator import DEFAULT_TOKEN, BotApiEmulator
from tests.emulator.conftest import PATIENT_ID

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_json_body_and_query_string(emulator: BotApiEmulator) -> None:
    await emulator.add_user(PATIENT_ID)
    api = f"{emulator.bot_base_url}{emulator.token}"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/sendMessage", json={
                "chat_id": PATIENT_ID, "text": "json", "reply_markup": markup}) as response:
            body = await response.json()
        assert response.status == 200 and body["ok"]
        assert body["result"]["reply_markup"] == markup
        async with http.get(f"{api}/getChat", params={"chat_id": str(PATIENT_ID)}) as response:
            assert (await response.json())["result"]["type"] == "private"
        async with http.post(f"{api}/sendMessage", data={"chat_id": str(PATIENT_ID)}) as response:
            assert await response.json() == {
                "ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        async with http.post(f"{api}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        async with http.post(f"{emulator.bot_base_url}1:bad/getMe") as response:
            assert await response.json() == {
                "ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_second_bot_is_isolated(emulator: BotApiEmulator) -> None:
    other = emulator.add_bot("987654:OTHER", "other_bot")
    assert other["id"] == 987654
    await emulator.send_user_message(PATIENT_ID, "to the other bot", token="987654:OTHER")
    assert await emulator.pending_updates() == []
    assert len(await emulator.pending_updates(token="987654:OTHER")) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _spawn_standalone(port: int) -> subprocess.Popen[bytes]:
    # subprocess, not asyncio's: another suite may have installed a loop policy (uvloop)
    # without child watchers.
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", str(port)], cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def test_standalone_process_serves_bot_api() -> None:
    port = _free_port()
    process = _spawn_standalone(port)
    try:
        url = f"http://127.0.0.1:{port}/bot{DEFAULT_TOKEN}/getMe"
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(url) as response:
                        assert (await response.json())["result"]["is_bot"]
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the standalone emulator did not start")
    finally:
        process.terminate()
        _, stderr = await asyncio.to_thread(process.communicate, timeout=10)
    log = stderr.decode()
    assert "listening on" in log
    assert DEFAULT_TOKEN not in log
