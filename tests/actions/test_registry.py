"""The action server serves exactly the domain's custom actions; payloads fit Telegram."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions.replies import replies

TELEGRAM_CALLBACK_DATA_MAX_BYTES = 64


def test_action_server_registers_every_domain_action(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert sorted(executor.actions) == sorted(domain["actions"])


def test_rendered_reply_payloads_fit_telegram_callback_data() -> None:
    for key, variants in replies().items():
        for button in variants[0].get("buttons", []):
            # The longest value a placeholder takes in a payload is a clause number.
            payload = re.sub(r"\{\w+\}", "55", button["payload"])
            assert len(payload.encode()) <= TELEGRAM_CALLBACK_DATA_MAX_BYTES, key


def test_domain_payloads_fit_telegram_callback_data(domain: dict[str, Any]) -> None:
    for key, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons", []):
                assert len(button["payload"].encode()) <= TELEGRAM_CALLBACK_DATA_MAX_BYTES, key
