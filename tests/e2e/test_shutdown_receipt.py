"""A shutdown (SIGTERM to the whole service) mid-receipt through the real bot: the patient's
receipt is not lost, it arrives once after the restart (issue 15, point 10)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from bot.receipts import ReceiptRenderer
from storage.consent_texts import Clause
from storage.receipt import _wording, build_receipt_pdf
from storage.refs import ConsentRef
from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import World, joined
from tests.e2e.test_restart_resume import reach_consent

FLAG = "SHUTDOWN_TEST_RENDER_FLAG"
RECEIPT_TITLE = _wording()["title"]


def slow_receipt(
    reference: str, display_name: str, records: list[ConsentRef], clauses: list[Clause]
) -> bytes:
    """In the child: say it started (its pid, in the file the test names), then take long."""
    Path(os.environ[FLAG]).write_text(str(os.getpid()))
    time.sleep(60)
    return build_receipt_pdf(reference, display_name, records, clauses)


def _child_pid(flag: Path, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while not flag.exists() or not flag.read_text():
        assert time.monotonic() < deadline, "the receipt was never rendered"
        time.sleep(0.05)
    return int(flag.read_text())


async def child_drawing(flag: Path) -> int:
    """The pid of the child once it is drawing the receipt."""
    return await asyncio.to_thread(_child_pid, flag)


async def documents(world: World, chat_id: int) -> list[dict[str, object]]:
    return [m for m in await world.emulator.bot_messages(chat_id) if m["kind"] == "document"]


async def test_sigterm_mid_receipt_render_and_the_receipt_arrives_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "rendering"
    monkeypatch.setenv(FLAG, str(flag))  # inherited by the child, which is spawned later
    world = await start_world(tmp_path)
    try:
        gateway = world.runtime.app.bot_data["gateway"]  # type: ignore[union-attr]
        gateway.receipts.close()
        gateway.receipts = ReceiptRenderer(draw=slow_receipt)
        patient = await world.new_patient("Kavya", "M")
        await reach_consent(patient)
        for number in (2, 3, 4, 5):
            assert f"Consent {number} of 5" in joined(await patient.press("I agree"))
        agreeing = asyncio.create_task(patient.press("I agree"))
        child = await child_drawing(flag)
        # systemd stops a service with SIGTERM to each of its processes: the child first
        # here, then the bot's own handler runs Runtime.stop.
        os.kill(child, signal.SIGTERM)
        await asyncio.wait_for(agreeing, 60)
        assert await documents(world, patient.chat_id) == [], "no receipt before the stop"
    finally:
        await world.runtime.stop()

    restarted = await start_world(tmp_path, emulator=world.emulator)
    try:
        deadline = time.monotonic() + 60
        while not await documents(restarted, patient.chat_id):
            assert time.monotonic() < deadline, "the receipt never came after the restart"
            await asyncio.sleep(0.2)
        await restarted.idle()
        sent = await documents(restarted, patient.chat_id)
        assert len(sent) == 1 and str(sent[0]["file_name"]).endswith(".pdf")
        pdf = await restarted.emulator.file_bytes(str(sent[0]["file_id"]))
        assert pdf.startswith(b"%PDF")
        # The receipt's text too, once: the interrupted run queued nothing.
        said = await restarted.emulator.bot_messages(patient.chat_id)
        titles = [m for m in said if str(m.get("plain_text") or "").startswith(RECEIPT_TITLE)]
        assert len(titles) == 1, [m.get("plain_text") for m in said[-6:]]
    finally:
        await stop_world(restarted)
