"""A local Telegram Bot API emulator for tests, the sandbox and benchmarks (see README.md)."""

from emulator.client import EmulatorClient
from emulator.errors import ControlError, EmulatorTimeout
from emulator.server import DEFAULT_TOKEN, BotApiEmulator

__all__ = ["DEFAULT_TOKEN", "BotApiEmulator", "ControlError", "EmulatorClient", "EmulatorTimeout"]
