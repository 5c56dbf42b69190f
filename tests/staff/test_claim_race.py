"""Taking a case over from the queue summary, before its topic exists: two staff press at
once, one wins and the other hears who holds it; the winner's topic and card are recorded in
the live lane, the patient is told in private, the summary is refreshed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from telegram import User

from bot.config import load_settings
from staff.desk import StaffDeskService
from staff.sender import BULK, LIVE, PROMPT
from storage import Database, Repository
from storage.staff_lanes import StaffLaneStore

GROUP = -100_222
FAR = datetime(2100, 1, 1, tzinfo=timezone.utc)  # every entry is due by then


class Outbox:
    """Stands in for the durable outbox: keeps what the patient would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []

    async def send(self, chat_id: int, payload: dict[str, Any]) -> None:
        self.sent.append((chat_id, payload))


def _desk(db: Database, repo: Repository, lanes: StaffLaneStore, outbox: Outbox) -> Any:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token-for-the-staff-tests",
            "STAFF_CHAT_ID": str(GROUP),
            "DATABASE_URL": str(db.url),
            "PSEUDONYM_SECRET": "staff-tests-secret",
        }
    )
    return StaffDeskService(object(), repo, settings, outbox, lanes)  # type: ignore[arg-type]


async def _pending(lanes: StaffLaneStore) -> list[tuple[str, int]]:
    found = []
    while (entry := await lanes.next_due(GROUP, (LIVE, PROMPT, BULK), FAR)) is not None:
        found.append((entry.op, entry.lane))
        await lanes.mark_sent(entry.id)
    return found


async def test_two_presses_on_the_summary_one_winner_one_already_taken(
    db: Database, repo: Repository, lanes: StaffLaneStore
) -> None:
    outbox = Outbox()
    desk = _desk(db, repo, lanes, outbox)
    patient = await repo.upsert_patient(555, 555, "Kiran Sharma", "en")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    await desk.announce_case(case, patient)
    # Shown in the summary first; its topic in the background lane.
    assert await _pending(lanes) == [("queue_summary", PROMPT), ("announce", BULK)]
    await lanes.set_queue_message(GROUP, 77)

    ravi = User(901, "Ravi", False, last_name="Care")
    meera = User(902, "Meera", False, last_name="Care")
    first, second = await asyncio.gather(desk.claim_case(case, ravi), desk.claim_case(case, meera))
    outcomes = sorted([first, second], key=lambda o: o.done)
    lost, won = outcomes
    assert won.done and not lost.done
    winner = won.text.split(" has taken over")[0]
    assert lost.text == f"Case {case.reference} is already taken by {winner}."
    assert won.text == f"{winner} has taken over case {case.reference}."

    # The winner's topic and card first, in the live lane; no acknowledgement in a topic
    # that is not there yet (the card says who holds the case); the summary follows.
    assert await _pending(lanes) == [("announce", LIVE), ("queue_summary", PROMPT)]
    told = [payload for chat_id, payload in outbox.sent if chat_id == 555]
    assert len(told) == 1 and "has joined the conversation" in str(told[0])
    held = await repo.get_case(case.id)
    assert held is not None and held.status == "with_staff"
