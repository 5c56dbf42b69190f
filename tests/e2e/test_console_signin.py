"""Signing in to the console from Telegram: /console, the one-time link, over real HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import sqlalchemy as sa

from bot.content import message
from storage.models import AuditEvent, Patient, TranscriptMessage
from tests.e2e.conftest import STRANGER_ID
from tests.e2e.harness import World

LINK = re.compile(r"https?://\S+/signin\?token=[A-Za-z0-9_.\-]+")


async def _ask_for_link(world: World, user_id: int) -> list[dict[str, Any]]:
    before = len(await world.emulator.bot_messages(user_id))
    await world.emulator.send_user_message(user_id, "/console")
    await world.idle()
    return (await world.emulator.bot_messages(user_id))[before:]


async def _patient_rows(world: World, user_id: int) -> tuple[int, int]:
    assert world.runtime.database is not None
    async with world.runtime.database.session() as session:
        patients = await session.scalar(
            sa.select(sa.func.count()).where(Patient.telegram_user_id == user_id)
        )
        transcript = await session.scalar(
            sa.select(sa.func.count()).where(TranscriptMessage.chat_id == user_id)
        )
    return int(patients or 0), int(transcript or 0)


async def _audited(world: World, action: str) -> int:
    assert world.runtime.database is not None
    async with world.runtime.database.session() as session:
        count = await session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action))
    return int(count or 0)


def _link_in(replies: list[dict[str, Any]]) -> str:
    found = [m for r in replies for m in LINK.findall(r.get("plain_text") or "")]
    assert len(found) == 1, replies
    return found[0]


async def test_staff_get_a_one_time_link_that_signs_in_over_http(world: World) -> None:
    ravi = world.staff_ids[0]
    assert world.runtime.console is not None
    rows_before = await _patient_rows(world, ravi)

    replies = await _ask_for_link(world, ravi)
    link = _link_in(replies)
    assert link.startswith(f"{world.runtime.console.url}/signin?token=")
    # Telegram must not fetch the link for a preview: that would use it up.
    [sent] = [
        c
        for c in await world.emulator.api_calls("sendMessage")
        if link in str(c["params"].get("text"))
    ]
    options = sent["params"].get("link_preview_options")
    options = json.loads(options) if isinstance(options, str) else options
    assert options["is_disabled"] is True
    # A staff member's chat is not a patient's: no profile, no transcript, no dialogue.
    assert await _patient_rows(world, ravi) == rows_before

    async with httpx.AsyncClient(timeout=30) as browser:
        signed_in = await browser.get(link)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/cases"
        assert "httponly" in signed_in.headers["set-cookie"].lower()
        cases = await browser.get(f"{world.runtime.console.url}/cases")
        assert cases.status_code == 200
        assert "Ravi Care" in cases.text

    async with httpx.AsyncClient(timeout=30) as another_browser:
        again = await another_browser.get(link)
        assert again.status_code == 403
        assert "/console" in again.text


async def test_leaving_the_staff_group_ends_console_access(world: World) -> None:
    meera = world.staff_ids[1]
    assert world.runtime.console is not None and world.runtime.app is not None
    link = _link_in(await _ask_for_link(world, meera))
    desk = world.runtime.app.bot_data["staff_desk"]
    async with httpx.AsyncClient(timeout=30, base_url=world.runtime.console.url) as browser:
        assert (await browser.get(link)).status_code == 303
        assert (await browser.get("/cases")).status_code == 200
        await world.emulator.set_member_status(world.staff_chat_id, meera, "left")
        try:
            # No waiting for the staff desk's 60-second membership cache.
            assert (await browser.get("/cases")).status_code == 401
        finally:
            await world.emulator.set_member_status(world.staff_chat_id, meera, "member")
            # The other tests share this world: Meera is staff again for the desk too.
            assert await desk.is_staff_id(meera, fresh=True)
        assert (await browser.get("/cases")).status_code == 401


async def test_a_strangers_console_command_gets_no_link(world: World) -> None:
    refusals = await _audited(world, "refused_console_link")
    replies = await _ask_for_link(world, STRANGER_ID)
    assert [r.get("plain_text") for r in replies] == [message("unknown_command")]
    assert not any("signin" in (r.get("plain_text") or "") for r in replies)
    assert await _audited(world, "refused_console_link") == refusals + 1
