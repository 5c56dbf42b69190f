"""Drive the real bot (Runtime: PTB Application, Rasa agent, action server, database) through
the Bot API emulator, as patients and staff would."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from bot.runtime import Runtime
from emulator.server import BotApiEmulator

_user_ids = itertools.count(700_000_001)


async def wait_idle(
    world: World, settle: float = 0.05, timeout: float = 60.0, staff: bool = True
) -> None:
    """Until no update is waiting in the emulator, in PTB's queue, or being handled, and
    (`staff`) nothing is left to send into the staff groups."""
    app = world.runtime.app
    assert app is not None
    desk = app.bot_data.get("staff_desk")
    deadline = asyncio.get_running_loop().time() + timeout
    quiet_rounds = 0
    while quiet_rounds < 3:
        pending = await world.emulator.pending_updates()
        busy = bool(pending) or not app.update_queue.empty()
        busy = busy or app.update_processor.current_concurrent_updates > 0
        if staff and desk is not None and not busy:
            busy = await desk.lanes.pending_count() > 0
        quiet_rounds = 0 if busy else quiet_rounds + 1
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the bot did not become idle")
        await asyncio.sleep(settle)


@dataclass
class World:
    emulator: BotApiEmulator
    runtime: Runtime
    staff_chat_id: int
    staff_ids: tuple[int, ...]
    # Every staff group (the first is staff_chat_id).
    staff_chat_ids: tuple[int, ...] = ()
    # Whether idle() also waits until nothing is left to send into the staff groups; off
    # where a test measures the patient's side while announcements still wait their turn.
    wait_for_staff: bool = True

    async def idle(self) -> None:
        await wait_idle(self, staff=self.wait_for_staff)

    async def new_patient(
        self, first_name: str = "Asha", last_name: str = "R", language_code: str = "en"
    ) -> Patient:
        """A new Telegram user; `language_code` is their app's language."""
        user_id = next(_user_ids)
        await self.emulator.add_user(
            user_id, first_name=first_name, last_name=last_name, language_code=language_code
        )
        return Patient(self, user_id)


@dataclass
class Patient:
    world: World
    user_id: int
    seen: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        return self.user_id

    async def messages(self) -> list[dict[str, Any]]:
        return await self.world.emulator.bot_messages(self.chat_id)

    async def _new_replies(self) -> list[dict[str, Any]]:
        await self.world.idle()
        everything = await self.messages()
        fresh = everything[self.seen :]
        self.seen = len(everything)
        self.history.extend(fresh)
        return fresh

    async def send(self, text: str) -> list[dict[str, Any]]:
        """Type a message; return what the bot sent back for it."""
        await self.world.emulator.send_user_message(self.user_id, text)
        return await self._new_replies()

    async def send_media(self, media: str, **kwargs: Any) -> list[dict[str, Any]]:
        await self.world.emulator.send_user_message(self.user_id, media=media, **kwargs)
        return await self._new_replies()

    async def press(self, label: str) -> list[dict[str, Any]]:
        """Press the button with that label on the newest bot message that shows it."""
        for record in reversed(await self.messages()):
            if label in button_labels(record):
                await self.world.emulator.press_button(
                    self.chat_id, record["message_id"], text=label, user_id=self.user_id
                )
                return await self._new_replies()
        raise AssertionError(f"no button {label!r}; last messages: {texts(self.history[-3:])}")

    async def press_on(self, record: dict[str, Any], label: str) -> list[dict[str, Any]]:
        """Press a button on a given (possibly old) message, as a patient scrolling back would."""
        await self.world.emulator.press_button(
            self.chat_id, record["message_id"], text=label, user_id=self.user_id
        )
        return await self._new_replies()


def button_labels(record: dict[str, Any]) -> list[str]:
    markup = record.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def texts(records: list[dict[str, Any]]) -> list[str]:
    return [r.get("plain_text") or r.get("plain_caption") or "" for r in records]


def joined(records: list[dict[str, Any]]) -> str:
    return "\n".join(texts(records))
