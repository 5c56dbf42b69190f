"""Failures are logged so an operator can find the code (type, file, line, function), and
never with the exception's message or locals, which may quote what a patient wrote."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import on_error
from bot.logs import JsonFormatter, failure_fields
from bot.outbox import Outbox, task_payload
from emulator.server import BotApiEmulator
from storage.durable import OutboxEntry

PATIENT = 6161
PLANTED = "zyxplanted my sister Quorblexa has a lump"
THIS_FILE = "tests/gateway/test_failure_logs.py"


class Lines(logging.Handler):
    """Every record as the production formatter writes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def entries(self, event: str) -> list[dict[str, Any]]:
        return [e for e in map(json.loads, self.lines) if e["event"] == event]


@contextmanager
def collected() -> Iterator[Lines]:
    root = logging.getLogger()
    lines = Lines()
    saved_level = root.level
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        root.removeHandler(lines)
        root.setLevel(saved_level)


def refuse_the_text(text: str) -> None:
    """The raising code: its message and its local `text` both hold the patient's words."""
    secret_local = text.upper()  # noqa: F841 (a local the log must not show)
    raise ValueError(f"could not parse {text!r}")


async def failing_handler(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    try:
        refuse_the_text(update.message.text)
    except ValueError as error:
        raise RuntimeError(f"handler gave up on {update.message.text}") from error


def raising_line(function: Any, marker: str) -> int:
    """The line number of `marker` in `function`'s source (so the test survives edits)."""
    import inspect

    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if marker in line)


def assert_frame(frames: list[dict[str, Any]], function: Any, marker: str) -> None:
    wanted = {
        "file": THIS_FILE,
        "line": raising_line(function, marker),
        "function": function.__name__,
    }
    assert wanted in frames, frames


async def test_a_failed_handler_logs_frames_and_type_never_the_text() -> None:
    """Through the real Application: a handler raises on a patient's message."""
    async with BotApiEmulator() as emulator:
        await emulator.add_user(PATIENT, first_name="Asha")
        app = (
            Application.builder()
            .token(emulator.token)
            .base_url(emulator.bot_base_url)
            .updater(None)
            .build()
        )
        kept: list[bool] = []
        outbox = SimpleNamespace(keep_unprocessed=lambda: kept.append(True))
        app.bot_data["gateway"] = SimpleNamespace(outbox=outbox)
        app.add_handler(MessageHandler(filters.TEXT, failing_handler))
        app.add_error_handler(on_error)
        async with app:
            await emulator.send_user_message(PATIENT, PLANTED)
            (update,) = await app.bot.get_updates(timeout=5)
            with collected() as lines:
                await app.process_update(update)
    assert kept == [True], "the turn is left to run again"
    assert lines.lines, "nothing logged"
    for line in lines.lines:
        assert "zyxplanted" not in line and "Quorblexa" not in line and "ZYXPLANTED" not in line
    (entry,) = lines.entries("handler failed")
    assert entry["level"] == "ERROR" and entry["has_chat"] is True
    assert entry["error_type"] == "RuntimeError"
    assert_frame(entry["frames"], failing_handler, "raise RuntimeError")
    # PTB's own frames say how it got there, by file, not by an absolute path.
    assert any(frame["file"].startswith("telegram/") for frame in entry["frames"])
    (cause,) = entry["causes"]
    assert cause["error_type"] == "ValueError"
    assert cause["frames"][-1] == {
        "file": THIS_FILE,
        "line": raising_line(refuse_the_text, "raise ValueError"),
        "function": "refuse_the_text",
    }
    assert "error" not in entry, "no exc_info: nothing else could format the message"


class FailingStore:
    """Only what a failed task touches: the attempt is recorded with the type alone."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def mark_attempt(self, entry_id: int, error: str, failed: bool) -> None:
        self.attempts.append(error)


async def test_a_failed_outbox_task_logs_frames_and_type_never_the_text() -> None:
    store = FailingStore()
    outbox = Outbox(None, store, None, None)  # type: ignore[arg-type]

    async def receipt(arguments: dict[str, Any]) -> None:
        refuse_the_text(arguments["said"])

    outbox.register_task("receipt", receipt)
    entry = OutboxEntry(1, 42, 0, PATIENT, task_payload("receipt", {"said": PLANTED}), "pending", 0)
    with collected() as lines:
        assert await outbox.deliver(entry) is False
    assert store.attempts == ["ValueError"]
    assert all("zyxplanted" not in line for line in lines.lines)
    (logged,) = lines.entries("outbox task failed; will retry")
    assert logged["error_type"] == "ValueError" and logged["task"] == "receipt"
    assert_frame(logged["frames"], refuse_the_text, "raise ValueError")


def test_the_formatter_gives_a_library_exception_its_frames_not_its_message() -> None:
    """A library's log.exception: exc_info, and exc_text another formatter may have filled."""
    try:
        refuse_the_text(PLANTED)
    except ValueError:
        record = logging.LogRecord(
            "telegram.ext.Application", logging.ERROR, __file__, 1, "oops", (), sys.exc_info()
        )
    logging.Formatter().format(record)  # fills record.exc_text with the full traceback
    assert record.exc_text and "zyxplanted" in record.exc_text
    line = JsonFormatter().format(record)
    assert "zyxplanted" not in line and "\n" not in line
    entry = json.loads(line)
    assert entry["error"] == "ValueError" and entry["error_type"] == "ValueError"
    assert_frame(entry["frames"], refuse_the_text, "raise ValueError")


def test_failure_fields_of_nothing_is_empty_and_frames_are_bounded() -> None:
    assert failure_fields(None) == {}

    def deep(n: int) -> None:
        if n == 0:
            raise KeyError(PLANTED)
        deep(n - 1)

    try:
        deep(100)
    except KeyError as error:
        fields = failure_fields(error)
    assert len(fields["frames"]) == 30 and fields["frames"][-1]["function"] == "deep"
    assert "zyxplanted" not in json.dumps(fields)


def test_library_records_quoting_an_update_or_an_exception_keep_neither_text() -> None:
    """PTB logs "... for update %s" with the Update, and "... due to %r" with the error."""
    update = Update.de_json(
        {
            "update_id": 31337,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": PATIENT, "type": "private", "first_name": "Quorblexa"},
                "text": PLANTED,
            },
        },
        None,
    )
    building = logging.LogRecord(
        "telegram.ext.Application",
        logging.CRITICAL,
        "application.py",
        1,
        "Error while building CallbackContext for update %s. Update will not be processed.",
        (update,),
        None,
    )
    aborted = logging.LogRecord(
        "telegram.ext.Application",
        logging.CRITICAL,
        "application.py",
        1,
        "Fetching updates was aborted due to %r.",
        (ValueError(PLANTED),),
        None,
    )
    extra = logging.LogRecord("bot", logging.INFO, __file__, 1, "with extras", (), None)
    extra.update = update
    lines = [JsonFormatter().format(record) for record in (building, aborted, extra)]
    for line in lines:
        assert "zyxplanted" not in line and "Quorblexa" not in line, line
    events = [json.loads(line)["event"] for line in lines]
    assert events[0].startswith("Error while building CallbackContext for update <Update 31337>")
    assert events[1] == "Fetching updates was aborted due to 'ValueError'."
    assert json.loads(lines[2])["update"] == "<Update 31337>"
