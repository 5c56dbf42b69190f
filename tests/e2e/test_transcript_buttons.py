"""A button press is kept in the transcript in the words the patient pressed, not as its data."""

from __future__ import annotations

from tests.e2e.harness import World, button_labels


async def test_a_pressed_button_is_kept_as_its_label(world: World) -> None:
    patient = await world.new_patient("Lina", "P")
    replies = await patient.send("/start")
    offered = [label for record in replies for label in button_labels(record)]
    assert offered, replies
    label = offered[0]
    await patient.press(label)

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None
    rows = await repository.last_messages(stored.id, limit=50)
    presses = [row for row in rows if row.media_type == "button"]
    assert [row.text for row in presses] == [label]
    assert not any((row.text or "").startswith("/") for row in presses)
