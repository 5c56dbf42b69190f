"""Rasa's action-response validation, with the validator built once, still rejects bad answers."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError

from bot.dialogue.inprocess import validate_action_results_with_one_validator


def test_valid_responses_pass_and_malformed_ones_are_rejected() -> None:
    from rasa.core.actions.action import RemoteAction

    validate_action_results_with_one_validator()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list", "responses": []})
