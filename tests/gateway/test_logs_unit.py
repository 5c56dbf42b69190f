"""bot.logs without a bot: pseudonyms, the JSON formatter and the webhook redaction."""

from __future__ import annotations

import json
import logging
import re
import sys

import telegram.ext._utils.webhookhandler as webhookhandler

from bot.logs import JsonFormatter, WebhookContentFilter, pseudonym

USER_ID = 700_123_456


def test_pseudonym_is_stable_short_and_not_the_id() -> None:
    first = pseudonym(b"secret-a", USER_ID)
    assert first == pseudonym(b"secret-a", str(USER_ID)) == pseudonym(b"secret-a", USER_ID)
    assert re.fullmatch(r"p-[0-9a-f]{12}", first)
    assert str(USER_ID) not in first and str(USER_ID)[-6:] not in first


def test_pseudonym_depends_on_the_secret_and_the_id() -> None:
    assert pseudonym(b"secret-a", USER_ID) != pseudonym(b"secret-b", USER_ID)
    neighbours = {pseudonym(b"secret-a", USER_ID + offset) for offset in range(1000)}
    assert len(neighbours) == 1000, "neighbouring ids collide"


def record(pathname: str, msg: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("telegram.ext.Updater", level, pathname, 1, msg, args, None)


def test_webhook_records_lose_what_was_sent() -> None:
    path = webhookhandler.__file__
    body = record(path, "Received data was: %r", {"text": "my secret illness"}, level=50)
    secret = record(path, "Request had the wrong secret token: %s", "s3cr3t")
    for item in (body, secret):
        assert WebhookContentFilter().filter(item)
    assert body.getMessage() == "Received data was"
    assert secret.getMessage() == "Request had the wrong secret token"
    assert "illness" not in JsonFormatter().format(body)


def test_other_records_are_untouched() -> None:
    other = record("/somewhere/bot/gateway.py", "case %s handed over", "1001")
    assert WebhookContentFilter().filter(other)
    assert other.getMessage() == "case 1001 handed over"


def test_formatter_writes_one_json_object_with_extras_and_only_the_error_type() -> None:
    try:
        raise ValueError("patient wrote: my knee")
    except ValueError:
        item = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    item.patient = "p-abc"
    line = JsonFormatter().format(item)
    entry = json.loads(line)
    assert entry["event"] == "failed" and entry["patient"] == "p-abc"
    assert entry["error"] == "ValueError"
    assert "knee" not in line and "\n" not in line
