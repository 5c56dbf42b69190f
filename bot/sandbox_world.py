"""The sandbox's world in the emulator: its patient, its staff member and their forum group.

Set up by the sandbox (bot/sandbox.py) and by `python -m bot.check` without a token, which
checks the set-up `make run` would use.
"""

from __future__ import annotations

from typing import Any

from emulator.server import BotApiEmulator

PATIENT_ID = 10_001
STAFF_ID = 20_001


async def sandbox_world(emulator: BotApiEmulator) -> dict[str, Any]:
    """The sandbox's patient, staff member and staff forum group; the group as Telegram
    returns it."""
    await emulator.add_user(PATIENT_ID, first_name="Sandbox", last_name="Patient")
    await emulator.add_user(STAFF_ID, first_name="Ravi", last_name="Kumar")
    return await emulator.create_group(
        "Care team (sandbox)", forum=True, members={STAFF_ID: "member"}
    )
