"""A staff group's pending work survives a restart: an announcement recorded while its sender
could not send (stopped, as a crash would stop it) goes out from the next process."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import World, button_labels, joined, wait_idle


async def test_a_pending_announcement_is_sent_after_a_restart(tmp_path: Path) -> None:
    world: World = await start_world(tmp_path)
    try:
        desk = world.runtime.app.bot_data["staff_desk"]  # type: ignore[union-attr]
        for sender in desk.senders.values():
            await sender.stop()
        world.wait_for_staff = False
        patient = await world.new_patient("Later", "Shown")
        replies = await patient.send("I want to talk to a human please")
        # The patient is answered although nothing can reach the staff group.
        assert "case" in joined(replies).lower()
        # Its line in the queue summary and its topic, both waiting.
        assert await desk.lanes.pending_count() == 2
        assert not [t for t in await world.emulator.topics(world.staff_chat_id)
                    if "Later Shown" in t["name"]]
    finally:
        await world.runtime.stop()

    restarted = await start_world(tmp_path, emulator=world.emulator)
    try:
        await wait_idle(restarted, staff=True, timeout=60)
        topics = [t for t in await restarted.emulator.topics(restarted.staff_chat_id)
                  if "Later Shown" in t["name"]]
        assert len(topics) == 1, topics
        in_topic = await restarted.emulator.bot_messages(
            restarted.staff_chat_id, thread_id=topics[0]["message_thread_id"]
        )
        assert any("Later Shown" in (m.get("plain_text") or "") for m in in_topic)
        summary = [m for m in await restarted.emulator.bot_messages(restarted.staff_chat_id)
                   if any(b.startswith("Take over ") for b in button_labels(m))]
        assert len(summary) == 1 and "Later" in summary[0]["plain_text"]
    finally:
        await stop_world(restarted)
