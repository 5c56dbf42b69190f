"""Structured logs that never carry message text, names or tokens; patients appear pseudonymised."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

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
)


def pseudonym(secret: bytes, telegram_user_id: int | str) -> str:
    """A stable, non-reversible short id for a patient in logs."""
    digest = hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
    return log_name(digest)


def log_name(stored_pseudonym: str) -> str:
    """The log form of the pseudonym the database keeps (the same HMAC, shortened)."""
    return f"p-{stored_pseudonym[:12]}"


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
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet_structlog()
    # httpx logs every request URL, and PTB's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    webhook_logger = logging.getLogger(WEBHOOK_LOGGER)
    if not any(isinstance(f, WebhookContentFilter) for f in webhook_logger.filters):
        webhook_logger.addFilter(WebhookContentFilter())
