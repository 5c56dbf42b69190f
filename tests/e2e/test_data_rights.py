"""/privacy, /mydata and /delete through Telegram."""

from __future__ import annotations

import json

from bot.content import message
from tests.e2e.harness import World, button_labels, joined


async def test_privacy_export_and_erasure(world: World) -> None:
    patient = await world.new_patient("Meena", "D")
    await patient.send("hello")
    privacy = await patient.send("/privacy")
    assert "/mydata" in joined(privacy) and "/delete" in joined(privacy)

    exported = await patient.send("/mydata")
    documents = [r for r in exported if r["kind"] == "document"]
    assert len(documents) == 1 and documents[0]["file_name"] == "my-data.json"
    data = json.loads(await world.emulator.file_bytes(documents[0]["file_id"]))
    assert data["patient"]["display_name"] == "Meena D"
    assert "hello" in [m["text"] for m in data["messages"]]

    asked = await patient.send("/delete")
    assert message("delete_confirm_button") in button_labels(asked[-1])
    kept = await patient.press(message("delete_cancel_button"))
    assert joined(kept) == message("delete_cancelled")
    repository = world.runtime.repository
    assert repository is not None
    assert await repository.get_patient(patient.user_id) is not None

    await patient.send("/delete")
    erased = await patient.press(message("delete_confirm_button"))
    assert joined(erased) == message("delete_done")
    assert await repository.get_patient(patient.user_id) is None
    after = await repository.export_patient(patient.user_id)
    assert after["patient"] is None and after["messages"] == []
