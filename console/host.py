"""What the console reads from the process that serves it: bot/runtime.py's Runtime.

The runtime starts the console (console/wiring.py), so the console names it only through
this protocol, never by importing it: the staff check, the health probes and the receipt
download read these attributes when they run, since the dialogue or the action server may
be replaced while the bot runs.
"""

from __future__ import annotations

from typing import Protocol

from telegram.ext import Application

from bot.actionserver import ActionServer
from bot.config import Settings
from bot.dialogue import Dialogue
from storage.db import Database
from storage.repository import Repository


class ConsoleHost(Protocol):
    """The started bot's parts, as the console reads them (None until started)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def app(self) -> Application | None: ...

    @property
    def database(self) -> Database | None: ...

    @property
    def repository(self) -> Repository | None: ...

    @property
    def dialogue(self) -> Dialogue | None: ...

    @property
    def action_server(self) -> ActionServer | None: ...
