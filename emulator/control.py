"""The control API tests and other processes use to play users and read what the bot did.

Every method is async and returns JSON-able values, so `emulator.client.EmulatorClient`
offers the same methods over HTTP (`POST {base}/_emu/{method}`). The methods live in
four parts, by what they are for; `Controls` is all of them.
"""

from __future__ import annotations

from emulator.control_limits import LimitControls
from emulator.control_reading import ReadingControls
from emulator.control_users import UserControls


class Controls(UserControls, ReadingControls, LimitControls):
    """Mixed into `BotApiEmulator`; `token=None` everywhere means the first (usual) bot."""
