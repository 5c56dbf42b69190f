"""The language the actions answer in, and a rough guess of it for the staff's card.

The gateway decides the patient's language (bot/language.py) and sends it with every
message as metadata; `answer_in_patients_language` makes each action call answer in it,
so that replies render in the right language without every helper passing it along.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from rasa_sdk import Tracker

from translation import DEFAULT_LANGUAGE, LANGUAGES
from translation.detect import guess_language

_SPEAKING: ContextVar[str] = ContextVar("speaking", default=DEFAULT_LANGUAGE)


def speaking() -> str:
    """The language of the action call being run ("en" outside one)."""
    return _SPEAKING.get()


@contextlib.contextmanager
def speaking_in(language: str) -> Iterator[None]:
    """Render replies in `language` inside the block (tests, and each action call)."""
    token = _SPEAKING.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def language_of(events: Sequence[Mapping[str, Any]]) -> str:
    """The gateway's choice carried by the latest message's metadata (Rasa keeps it on the
    user event, not in `latest_message`); English without one."""
    for event in reversed(events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            language = metadata.get("language") if isinstance(metadata, Mapping) else None
            return language if language in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@functools.cache
def answer_in_patients_language() -> None:
    """Make the SDK's executor run each action call in the language its tracker carries.

    A ContextVar, set around one call: each HTTP request of the action server runs in its
    own task, so concurrent patients never share it.
    """
    from rasa_sdk.executor import ActionExecutor

    run = ActionExecutor.run

    @functools.wraps(run)
    async def run_in_language(self: ActionExecutor, action_call: dict[str, Any]) -> Any:
        events = (action_call.get("tracker") or {}).get("events") or []
        with speaking_in(language_of(events)):
            return await run(self, action_call)

    ActionExecutor.run = run_in_language  # type: ignore[method-assign]


def typed_user_texts(tracker: Tracker) -> list[str]:
    """What the patient typed (button payloads such as "/affirm" are not language)."""
    return [
        str(event.get("text") or "")
        for event in tracker.events
        if event.get("event") == "user" and not str(event.get("text") or "").startswith("/")
    ]


def patient_language(tracker: Tracker) -> str:
    """For the staff's card: the language answered in, or "hinglish" where typed so."""
    if language_of(tracker.events) == "hi":
        return "hi"
    return guess_language(typed_user_texts(tracker))
