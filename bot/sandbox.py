"""The sandbox: the real bot against the local Bot API emulator, with a terminal chat.

What `make run` starts when TELEGRAM_BOT_TOKEN is unset. You play the patient, and with
`staff:` in front of a line, a member of the care team in the staff group; `staff: /console`
is that member's /console in their own private chat with the bot, whose sign-in link to the
console is printed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox_world import PATIENT_ID, STAFF_ID, sandbox_world
from emulator.server import BotApiEmulator

USAGE = """\
Sandbox: you are a patient talking to the bot (nothing leaves this machine).
  type a message            the patient says it (try /start)
  #2                        press button 2 of the bot's latest message with buttons
  staff: hello              the care team writes in the newest case topic
  staff: #1                 the care team presses button 1 of the newest case card
  staff: /release  /close  /queue
  staff: /console           the care team's one-time sign-in link to the console (open it)
  quit (or Ctrl-D, Ctrl-C)  stop everything
"""


@dataclasses.dataclass
class Screen:
    """What the terminal shows: the bot's messages to the patient and to the staff group."""

    staff_chat_id: int
    out: TextIO = sys.stdout
    patient_buttons: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    patient_message_id: int | None = None
    staff_buttons: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    staff_message_id: int | None = None
    staff_thread_id: int | None = None
    staff_user_id: int = STAFF_ID

    def show(self, event: dict[str, Any]) -> None:
        """Print one emulator journal event if a person would see it."""
        if event.get("type") not in ("sent", "edited") or "message" not in event:
            return
        record = event["message"]
        text = record.get("plain_text") or record.get("plain_caption") or ""
        if record.get("kind") not in (None, "text"):
            name = f": {record['file_name']}" if record.get("file_name") else ""
            text = f"[{record['kind']}{name}] {text}"
        buttons = [
            (index, button["text"], button.get("callback_data", ""))
            for index, button in enumerate(
                (
                    b
                    for row in (record.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ),
                start=1,
            )
        ]
        edited = " (edited)" if event["type"] == "edited" else ""
        if record["chat_id"] == self.staff_chat_id:
            thread = record.get("message_thread_id")
            self.staff_thread_id = thread or self.staff_thread_id
            if buttons:
                self.staff_buttons = [(i, data) for i, _, data in buttons]
                self.staff_message_id = record["message_id"]
            prefix = f"  [staff group, topic {thread}] bot{edited}: "
        elif record["chat_id"] == self.staff_user_id:
            prefix = f"  [staff member's private chat] bot{edited}: "
        else:
            if buttons:
                self.patient_buttons = [(i, title) for i, title, _ in buttons]
                self.patient_message_id = record["message_id"]
            prefix = f"bot{edited}: "
        print(prefix + text.replace("\n", "\n" + " " * len(prefix)), file=self.out, flush=True)
        if buttons:
            print(
                " " * len(prefix) + "  ".join(f"[{i}] {title}" for i, title, _ in buttons),
                file=self.out,
                flush=True,
            )


async def follow(emulator: BotApiEmulator, screen: Screen) -> None:
    """Print what the bot does, as it does it."""
    seen = 0
    while True:
        events = await emulator.events(after=seen, timeout=30.0)
        for event in events:
            seen = max(seen, event["seq"])
            screen.show(event)


async def act(line: str, emulator: BotApiEmulator, screen: Screen) -> None:
    """One line typed by the person at the terminal."""
    if line.startswith("staff:"):
        said = line.removeprefix("staff:").strip()
        if said.startswith("#") and said[1:].isdigit():
            index = int(said[1:])
            match = [data for i, data in screen.staff_buttons if i == index]
            if match and screen.staff_message_id is not None:
                await emulator.press_button(
                    screen.staff_chat_id,
                    screen.staff_message_id,
                    callback_data=match[0],
                    user_id=STAFF_ID,
                )
            return
        if said.split("@")[0] == "/console":
            # Staff ask for the console's link in a private chat with the bot, never in the
            # group: the staff member's own chat, whose reply the screen shows.
            await emulator.send_user_message(STAFF_ID, "/console")
            return
        await emulator.send_user_message(
            STAFF_ID, said, chat_id=screen.staff_chat_id, thread_id=screen.staff_thread_id
        )
        return
    if line.startswith("#") and line[1:].isdigit():
        index = int(line[1:])
        match = [title for i, title in screen.patient_buttons if i == index]
        if match and screen.patient_message_id is not None:
            await emulator.press_button(
                PATIENT_ID, screen.patient_message_id, text=match[0], user_id=PATIENT_ID
            )
        return
    await emulator.send_user_message(PATIENT_ID, line)


async def read_lines(on_line: Callable[[str], Any]) -> None:
    """Feed stdin lines to `on_line` until EOF or `quit`.

    A daemon thread reads stdin, so Ctrl-C never waits for a pending read.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for raw in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, raw)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=pump, name="sandbox-stdin", daemon=True).start()
    while True:
        line = await lines.get()
        if line is None or line.strip() == "quit":
            return
        if line.strip():
            await on_line(line.strip())


async def run_sandbox(settings: Settings) -> None:
    """Start the emulator and the real bot on it, then chat at the terminal until told to stop."""
    emulator = BotApiEmulator()
    await emulator.start()
    group = await sandbox_world(emulator)
    sandbox_settings = dataclasses.replace(
        settings,
        bot_token=emulator.token,
        api_base_url=emulator.base_url,
        staff_chat_id=group["id"],
        # TELEGRAM_RATE_LIMIT as in production (on by default): the emulator answers with
        # Telegram's limits, so the sandbox paces itself as the real bot would.
    )
    runtime = Runtime(sandbox_settings, emulator.token)
    await runtime.start()
    # sys.stdout now, not at import: `python -m bot` points it at the terminal (logs go to
    # a file, bot.logs.divert_to_file).
    screen = Screen(staff_chat_id=group["id"], out=sys.stdout)
    print(USAGE, flush=True)
    printer = asyncio.create_task(follow(emulator, screen))
    reader = asyncio.create_task(read_lines(lambda line: act(line, emulator, screen)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        await asyncio.sleep(0.5)  # let the last reply print
    finally:
        for task in (printer, reader, stopper):
            task.cancel()
        for task in (printer, stopper):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runtime.stop()
        await emulator.stop()
        print("Sandbox stopped.", flush=True)
