"""What every console route may use, built once by the runtime and kept on `app.state`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from bot.config import ConsoleSettings

if TYPE_CHECKING:
    from storage.consent_texts import Clause
    from storage.db import Database
    from storage.refs import ConsentRef
    from storage.repository import Repository

# Asks Telegram (or the allow-list) whether a Telegram user is staff right now; raises
# StaffCheckUnavailable when it cannot tell (Telegram not reachable), which is not a no.
StaffCheck = Callable[[int], Awaitable[bool]]
# Draws a consent receipt PDF: (reference, display name, records, clauses, language) -> bytes.
RenderReceipt = Callable[
    [str, str, "Sequence[ConsentRef]", "Sequence[Clause]", str], Awaitable[bytes]
]
# One named dependency's state for /healthz: (ok, detail without secrets).
HealthProbe = Callable[[], Awaitable[tuple[bool, str]]]


class StaffCheckUnavailable(Exception):
    """Whether someone is staff cannot be told now (Telegram not reachable): not a no."""


@dataclass
class ConsoleContext:
    settings: ConsoleSettings
    database: Database
    repository: Repository
    # Signs one-time links; derived from PSEUDONYM_SECRET so no new secret must be set.
    signing_key: bytes
    is_staff: StaffCheck
    # Name -> probe, in the order /healthz lists them ("database", "redis", "model", ...).
    health: dict[str, HealthProbe] = field(default_factory=dict)
    # The bot's receipt renderer (a child process, bot/receipts.py); None: a thread here.
    render_receipt: RenderReceipt | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def context_of(request: Request) -> ConsoleContext:
    """The console's context, kept on the app."""
    return request.app.state.context
