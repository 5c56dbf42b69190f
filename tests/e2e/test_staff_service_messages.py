"""A topic closed and reopened by a staff member in Telegram is not a message to the patient."""

from __future__ import annotations

from tests.e2e.harness import World
from tests.e2e.test_staff_takeover import _hand_over, _press_card


async def test_topic_closed_and_reopened_by_staff_reaches_no_patient(world: World) -> None:
    ravi, _ = world.staff_ids
    patient = await world.new_patient("Tara", "K")
    _, topic = await _hand_over(world, patient, "Tara K")
    thread = topic["message_thread_id"]
    await _press_card(world, thread, "Take over", ravi)
    await world.idle()
    patient.seen = len(await patient.messages())
    topic_before = len(await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread))
    copies_before = len(await world.emulator.api_calls("copyMessage"))

    # Closing a topic takes the right to manage topics: Ravi is an admin for a moment.
    await world.emulator.set_member_status(world.staff_chat_id, ravi, "administrator")
    try:
        await world.emulator.close_topic(world.staff_chat_id, thread, by_user_id=ravi)
        await world.emulator.reopen_topic(world.staff_chat_id, thread, by_user_id=ravi)
        await world.idle()
    finally:
        await world.emulator.set_member_status(world.staff_chat_id, ravi, "member")

    assert (await patient.messages())[patient.seen :] == []
    # Not even tried: copying a service message is refused by Telegram, and the transcript
    # would record a staff message that never was.
    assert len(await world.emulator.api_calls("copyMessage")) == copies_before
    # Nor does the bot answer the service messages in the topic (no "could not relay").
    after = await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread)
    assert after[topic_before:] == []

    # The conversation goes on: the holder's next message still reaches the patient.
    await world.emulator.send_user_message(
        ravi, "Still here, Tara.", chat_id=world.staff_chat_id, thread_id=thread
    )
    await world.idle()
    fresh = (await patient.messages())[patient.seen :]
    assert any("Still here, Tara." in m["plain_text"] for m in fresh), fresh
