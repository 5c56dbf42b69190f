"""Webhook mode: the real bot behind PTB's webhook server, with Telegram's secret token.

Requests without the secret (or with a wrong one) get 403, bodies that are not updates get
400, and neither the secret nor anything from a request body reaches the logs.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.config import load_settings
from bot.model import ensure_model
from bot.runtime import Runtime
from emulator.server import BotApiEmulator
from tests.e2e.conftest import STAFF_IDS, world_settings
from tests.e2e.harness import World
from tests.e2e.test_logs import LineCollector, assert_clean, production_logs
from tests.e2e.test_walking_skeleton import from_response

SECRET = "wh-secret-Zq81_planted"
PLANTED_BODY = "planted-body-kq93x"
PATIENT_ID = 700_900_001


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WebhookWorld:
    world: World
    url: str
    logs: LineCollector


@pytest_asyncio.fixture(scope="module")
async def webhook_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebhookWorld]:
    """A bot in webhook mode on the emulator, its logs collected from before it starts."""
    tmp: Path = tmp_path_factory.mktemp("webhook")
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    with production_logs() as logs:
        emulator = BotApiEmulator()
        await emulator.start()
        for user_id in STAFF_IDS:
            await emulator.add_user(user_id, first_name="Staff")
        await emulator.add_user(PATIENT_ID, first_name="Webhook", last_name="Patient")
        group = await emulator.create_group(
            "Care team", forum=True, members={uid: "member" for uid in STAFF_IDS}
        )
        env = world_settings(emulator, group["id"], f"sqlite:///{tmp / 'webhook.db'}")
        env |= {
            "TELEGRAM_MODE": "webhook",
            "WEBHOOK_URL": url,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "WEBHOOK_SECRET": SECRET,
        }
        runtime = Runtime(load_settings(env), emulator.token, model_path=ensure_model())
        await runtime.start()
        try:
            yield WebhookWorld(World(emulator, runtime, group["id"], STAFF_IDS), url, logs)
        finally:
            await runtime.stop()
            await emulator.stop()


def update_json(update_id: int, text: str) -> dict[str, object]:
    user = {"id": PATIENT_ID, "is_bot": False, "first_name": "Webhook", "last_name": "Patient"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": PATIENT_ID, "type": "private", "first_name": "Webhook"},
            "from": user,
            "text": text,
        },
    }


async def post(url: str, body: str, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            return response.status


def forbidden_in_logs(world: World) -> dict[str, str]:
    return {
        "the webhook secret": SECRET,
        "a request body": PLANTED_BODY,
        "the bot token": world.emulator.token,
    }


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret-but-well-formed", SECRET[:-1]],
    ids=["no header", "empty", "wrong", "one character short"],
)
async def test_requests_without_the_right_secret_get_403(
    webhook_world: WebhookWorld, secret: str | None
) -> None:
    body = json.dumps(update_json(5_000_001, f"hello {PLANTED_BODY}"))
    assert await post(webhook_world.url, body, secret) == 403
    await webhook_world.world.idle()
    assert await webhook_world.world.emulator.bot_messages(PATIENT_ID) == []
    assert_clean(webhook_world.logs.lines, forbidden_in_logs(webhook_world.world))


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"update_id": "not a number", "message": PLANTED_BODY}),
        json.dumps([PLANTED_BODY]),
    ],
    ids=["json that is not an update", "a json list"],
)
async def test_bodies_that_are_not_updates_get_400_and_are_not_logged(
    webhook_world: WebhookWorld, body: str
) -> None:
    assert await post(webhook_world.url, body, SECRET) == 400
    await webhook_world.world.idle()
    assert_clean(webhook_world.logs.lines, forbidden_in_logs(webhook_world.world))


async def test_malformed_json_gets_400(webhook_world: WebhookWorld) -> None:
    assert await post(webhook_world.url, f'{{"update_id": 1, {PLANTED_BODY}', SECRET) == 400


async def test_malformed_json_is_refused_and_not_logged(webhook_world: WebhookWorld) -> None:
    status = await post(webhook_world.url, f'{{"update_id": 1, {PLANTED_BODY}', SECRET)
    assert 400 <= status < 600 and status != 200
    await webhook_world.world.idle()
    assert await webhook_world.world.emulator.bot_messages(PATIENT_ID) == []
    assert_clean(webhook_world.logs.lines, forbidden_in_logs(webhook_world.world))


async def test_a_valid_update_with_the_secret_is_answered(webhook_world: WebhookWorld) -> None:
    world = webhook_world.world
    before = len(await world.emulator.bot_messages(PATIENT_ID))
    assert await post(webhook_world.url, json.dumps(update_json(5_000_100, "hello")), SECRET) == 200
    await world.idle()
    replies = (await world.emulator.bot_messages(PATIENT_ID))[before:]
    assert any(from_response(r["plain_text"] or "", "utter_greet") for r in replies), replies


async def test_the_emulator_delivers_through_the_webhook(webhook_world: WebhookWorld) -> None:
    world = webhook_world.world
    before = len(await world.emulator.bot_messages(PATIENT_ID))
    await world.emulator.send_user_message(PATIENT_ID, "hello")
    replies = await world.emulator.wait_for_bot_messages(PATIENT_ID, before + 1, timeout=30)
    assert any(from_response(r["plain_text"] or "", "utter_greet") for r in replies[before:])
    assert_clean(webhook_world.logs.lines, forbidden_in_logs(world))
