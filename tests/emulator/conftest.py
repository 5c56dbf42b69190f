"""Fixtures: a running emulator and a real PTB Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from emulator import BotApiEmulator

PATIENT_ID = 700_001


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(webhook_retry_delay=0.05) as running:
        yield running


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        emulator.token, base_url=emulator.bot_base_url, base_file_url=emulator.file_base_url
    ) as real_bot:
        yield real_bot


@pytest.fixture
async def patient(emulator: BotApiEmulator) -> dict:
    return await emulator.add_user(PATIENT_ID, first_name="Asha", username="asha_test")
