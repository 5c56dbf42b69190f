"""Cases spread over minutes: issue 13's scenario B (several groups) and issue 24's C (one
group, staff taking cases over from the queue summary while more arrive).

B: many cases over several minutes and several groups: every one announced, no 429.
C: many cases over several minutes into one group; staff take over every `take_every`-th
   case the moment it is claimable: every case claimable soon, none announced twice, each
   taken case's topic and card soon after the press, no 429.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.staff_drain import drain, summary
from bench.staff_scenarios import JOINED, TIMEOUT, Rig, ask_for_person, press_take_over, quiet
from bench.staff_scenarios import send_at as _send_at
from bench.staff_watch import sent_text, wait_claimable

# How long staff take to press Take over once the case shows (a person reads the line first).
REACTION_SECONDS = 1.0


async def _asks(
    rig: Rig, names: list[str], first_user_id: int, spread: float, then: Any = None
) -> list[tuple[float, float | None]]:
    """Each patient asks for a person in turn, evenly over `spread` seconds; `then(n, ...)`
    runs after patient n's ask, in the same task."""
    step = spread / max(1, len(names) - 1)
    start = time.perf_counter() + 0.5

    async def one(n: int, name: str) -> tuple[float, float | None]:
        asked = await _send_at(start + n * step, ask_for_person(rig, first_user_id + n, name))
        if then is not None:
            await then(n, first_user_id + n, name)
        return asked

    return list(await asyncio.gather(*(one(n, name) for n, name in enumerate(names))))


async def scenario_b(rig: Rig, size: dict[str, Any], first_user_id: int) -> dict[str, Any]:
    await quiet(rig, rig.groups[0], 3.0, 120.0)
    names = [f"Case{n:03d}x" for n in range(size["cases"])]
    asks = await _asks(rig, names, first_user_id, size["spread_seconds"])
    replies = [s for _, s in asks if s is not None]
    return {
        "size": size,
        "sent_over_s": round(asks[-1][0] - asks[0][0], 2),
        "handoff_reply_s": summary(replies),
        "patients_unanswered": sum(s is None for _, s in asks),
        "announcements": await drain(rig.log, rig.groups, names, asks, size["drain_timeout"]),
    }


async def _take_over(rig: Rig, user_id: int, name: str) -> dict[str, Any]:
    """Once the case shows, a staff member presses its Take over: what followed, timed."""
    shown = await wait_claimable(rig.log, rig.groups, name, TIMEOUT)
    if shown is None:
        return {"name": name, "shown": False}
    await asyncio.sleep(REACTION_SECONDS)
    pressed, topic = await press_take_over(rig, shown, name)
    told = await rig.log.wait(sent_text(user_id, JOINED), pressed, TIMEOUT)
    return {
        "name": name,
        "shown": True,
        "from_summary": shown.from_summary,
        "topic_and_card_s": topic,
        "patient_told_s": None if told is None else round(told.at - pressed, 3),
    }


async def scenario_c(rig: Rig, size: dict[str, Any], first_user_id: int) -> dict[str, Any]:
    await quiet(rig, rig.groups[0], 3.0, 120.0)
    names = [f"Case{n:03d}x" for n in range(size["cases"])]
    taken: list[dict[str, Any]] = []

    async def maybe_take(n: int, user_id: int, name: str) -> None:
        if n % size["take_every"] == 0:
            taken.append(await _take_over(rig, user_id, name))

    asks = await _asks(rig, names, first_user_id, size["spread_seconds"], maybe_take)
    announcements = await drain(
        rig.log, rig.groups, names, asks, size["drain_timeout"], topics=False
    )
    topics = [t["topic_and_card_s"] for t in taken if t.get("topic_and_card_s") is not None]
    told = [t["patient_told_s"] for t in taken if t.get("patient_told_s") is not None]
    return {
        "size": size,
        "sent_over_s": round(asks[-1][0] - asks[0][0], 2),
        "handoff_reply_s": summary([s for _, s in asks if s is not None]),
        "patients_unanswered": sum(s is None for _, s in asks),
        "announcements": announcements,
        "taken_over": len(taken),
        "taken_over_from_summary": sum(bool(t.get("from_summary")) for t in taken),
        "taken_without_topic": len(taken) - len(topics),
        "take_over_topic_and_card_s": summary(topics),
        "take_over_patient_told_s": summary(told),
    }
