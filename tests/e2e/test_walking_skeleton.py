"""The foundation end to end: PTB polls the emulator, Rasa answers, both directions are stored."""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from bot.paths import ROOT
from tests.e2e.harness import World, texts


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("_", "")).strip()


@lru_cache(maxsize=1)
def response_texts() -> dict[str, set[str]]:
    """Every text variant of every response in domain.yml, as a patient sees it."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {
        name: {_plain(variant["text"]) for variant in variants if "text" in variant}
        for name, variants in domain["responses"].items()
    }


def from_response(text: str, name: str) -> bool:
    return _plain(text) in response_texts()[name]


async def test_start_and_hello_are_answered_by_the_model_and_stored(world: World) -> None:
    patient = await world.new_patient("Asha", "R")

    started = await patient.send("/start")
    assert started, "no reply to /start"
    assert from_response(texts(started)[0], "utter_start"), texts(started)
    assert "112" in texts(started)[0]  # the disclaimer is part of the start
    assert started[0]["chat_id"] == patient.chat_id
    assert started[0]["reply_markup"]["inline_keyboard"], "start offers buttons for the main paths"

    greeted = await patient.send("hello")
    assert greeted and all(r["chat_id"] == patient.chat_id for r in greeted)
    assert any(from_response(t, "utter_greet") for t in texts(greeted)), texts(greeted)

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.export_patient(patient.user_id)
    transcript = stored["messages"]
    incoming = [m["text"] for m in transcript if m["direction"] == "in"]
    assert incoming == ["/start", "hello"]
    outgoing_ids = [m["telegram_message_id"] for m in transcript if m["direction"] == "out"]
    assert outgoing_ids == [r["message_id"] for r in started + greeted]


async def test_typed_messages_show_typing_and_button_presses_do_not(world: World) -> None:
    import asyncio

    from tests.e2e.harness import button_labels

    patient = await world.new_patient("Ravi", "K")

    async def typing_shown() -> int:
        calls = await world.emulator.api_calls("sendChatAction")
        return sum(1 for c in calls if str(c["params"].get("chat_id")) == str(patient.chat_id))

    started = await patient.send("/start")
    await patient.send("hello")
    for _ in range(50):  # the indicator is sent on the side; give it a moment
        if await typing_shown() >= 2:
            break
        await asyncio.sleep(0.05)
    assert await typing_shown() == 2, "typing for /start and for hello"

    pressed = await patient.press(button_labels(started[0])[0])
    assert pressed, "the button was answered"
    await asyncio.sleep(0.3)
    assert await typing_shown() == 2, "a button press is answered at once, without typing"
