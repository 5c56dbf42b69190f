"""Structured logs that never carry message text, names or tokens; patients appear pseudonymised."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

_NOISY = (
    "rasa",
    "tensorflow",
    "absl",
    "httpx",
    "apscheduler",
    "sanic",
    "asyncio",
    "aiohttp.access",
)


def pseudonym(secret: bytes, telegram_user_id: int | str) -> str:
    """A stable, non-reversible short id for a patient in logs."""
    digest = hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:12]}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    _standard = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in self._standard})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """JSON logs on stderr; libraries that log message contents are held at WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    # httpx logs every request URL, and PTB's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
