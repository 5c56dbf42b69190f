"""Structured logs that never carry message text, names or tokens; patients appear pseudonymised."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import sys
import sysconfig
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from telegram import TelegramObject, Update

from bot.paths import ROOT

_NOISY = (
    "fontTools",
    "rasa",
    "tensorflow",
    "absl",
    "httpx",
    "apscheduler",
    "sanic",
    "asyncio",
    "aiohttp.access",
    # Request lines: the console's URLs carry one-time sign-in tokens.
    "uvicorn.access",
)


# The innermost frames say where it failed; asyncio and PTB add many outer ones.
MAX_FRAMES = 30
# A cause's cause, and so on, only this deep (each with its own frames).
MAX_CAUSES = 3
# Most specific first: the venv's site-packages lies inside the project's directory.
_LIBRARY_ROOTS = sorted(
    {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}, key=len, reverse=True
)


def _short_path(filename: str) -> str:
    """A frame's file relative to the project or the library directory: shorter, no home."""
    path = filename.replace("\\", "/")
    for directory in (*_LIBRARY_ROOTS, str(ROOT)):
        prefix = directory.replace("\\", "/").rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def _frames(tb: TracebackType | None) -> list[dict[str, Any]]:
    """(file, line, function) of each frame, innermost last; source lines and locals never."""
    frames = [
        {
            "file": _short_path(frame.f_code.co_filename),
            "line": line,
            "function": frame.f_code.co_name,
        }
        for frame, line in traceback.walk_tb(tb)
    ]
    return frames[-MAX_FRAMES:]


def failure_fields(error: BaseException | None) -> dict[str, Any]:
    """Log fields for a failure: its type and its traceback's frames, never its message.

    The message and the frames' locals may quote a patient; where the code failed does not.
    The chain (`raise ... from`, or an error while handling another) follows as `causes`.
    """
    if error is None:
        return {}
    fields: dict[str, Any] = {
        "error_type": _type_name(error),
        "frames": _frames(error.__traceback__),
    }
    causes = []
    seen = {id(error)}
    cause = _cause(error)
    while cause is not None and id(cause) not in seen and len(causes) < MAX_CAUSES:
        seen.add(id(cause))
        causes.append({"error_type": _type_name(cause), "frames": _frames(cause.__traceback__)})
        cause = _cause(cause)
    if causes:
        fields["causes"] = causes
    return fields


def _type_name(error: BaseException) -> str:
    kind = type(error)
    if kind.__module__ in ("builtins", "__main__"):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _cause(error: BaseException) -> BaseException | None:
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


def pseudonym(secret: bytes, telegram_user_id: int | str) -> str:
    """A stable, non-reversible short id for a patient in logs."""
    digest = hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
    return log_name(digest)


def log_name(stored_pseudonym: str) -> str:
    """The log form of the pseudonym the database keeps (the same HMAC, shortened)."""
    return f"p-{stored_pseudonym[:12]}"


def _safe(value: Any) -> Any:
    """A log argument without what a patient wrote: an exception by its type, a Telegram
    object (an update, a message: texts and names) by its type and update_id."""
    if isinstance(value, BaseException):
        return _type_name(value)
    if isinstance(value, Update):
        return f"<Update {value.update_id}>"
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    return value


def _event(record: logging.LogRecord) -> str:
    """The message with safe arguments: PTB logs "... update %s" and "... due to %r", exc."""
    args = record.args
    if not args:
        return str(record.msg)
    if isinstance(args, dict):
        safe: Any = {key: _safe(value) for key, value in args.items()}
    else:
        safe = tuple(_safe(value) for value in args)
    try:
        return str(record.msg) % safe
    except (TypeError, ValueError, KeyError):
        return str(record.msg)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    _standard = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "event": _event(record),
        }
        entry.update({k: _safe(v) for k, v in record.__dict__.items() if k not in self._standard})
        # exc_text and stack_info are never written: they hold the exception's message (and,
        # with PTB's and asyncio's own records, the patient's text it may quote).
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            if "frames" not in entry:
                # A library's log.exception(...) still says where it failed.
                entry.update(
                    {k: v for k, v in failure_fields(record.exc_info[1]).items() if k not in entry}
                )
        return json.dumps(entry, default=str, ensure_ascii=False)


class WebhookContentFilter(logging.Filter):
    """PTB's webhook server quotes request bodies and wrong secret tokens in its log records
    (at CRITICAL for a body that is not an Update): keep the event, drop what was sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.pathname.replace("\\", "/").endswith("telegram/ext/_utils/webhookhandler.py"):
            if record.args:
                # The format string says what happened; its arguments are what was sent.
                record.msg = str(record.msg).split("%")[0].rstrip(" :-") or "webhook request"
                record.args = ()
            record.exc_text = None
        return True


# The logger PTB's webhook handler writes to (telegram.ext._utils.webhookhandler).
WEBHOOK_LOGGER = "telegram.ext.Updater"


def _event_name_only(_logger: object, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Rasa's structured events carry message texts and slots as fields: keep the name only."""
    return {"event": str(event_dict.get("event", ""))}


def quiet_structlog() -> None:
    """Rasa logs through structlog, which by default prints every level to stdout; send it
    through the standard loggers instead, where "rasa" is held at WARNING."""
    import structlog

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            _event_name_only,
            structlog.stdlib.render_to_log_kwargs,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(level: str = "INFO") -> None:
    """JSON logs on stderr; libraries that log message contents are held at WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library warnings (Rasa's and TensorFlow's deprecations, matplotlib) become log records.
    logging.captureWarnings(True)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet_structlog()
    # httpx logs every request URL, and PTB's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    webhook_logger = logging.getLogger(WEBHOOK_LOGGER)
    if not any(isinstance(f, WebhookContentFilter) for f in webhook_logger.filters):
        webhook_logger.addFilter(WebhookContentFilter())


def divert_to_file(path: Path) -> TextIO:
    """Send this process's output, and its children's, to `path`; return the terminal.

    File descriptors 1 and 2 go to the file, so what bypasses Python does too: TensorFlow's
    C++ logs, the action server, the receipt child, a training run. `sys.stderr` (the JSON
    logs, tracebacks) writes to the file; `sys.stdout` becomes the returned stream, the
    terminal, for what a person should see (the sandbox's chat, the console's address).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.fdopen(
        os.dup(sys.stdout.fileno()), "w", buffering=1, encoding=sys.stdout.encoding
    )
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
    finally:
        os.close(target)
    sys.stdout = terminal
    return terminal
