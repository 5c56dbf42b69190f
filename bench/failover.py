"""`bench.run --kill-one-after S`: SIGKILL one worker under load and count what it cost.

The last worker is killed S seconds into the load (its whole process group, as a crash or
the OOM killer would); the others are never restarted. Lost turns come from the load's own
count; a repeated send is a bot message identical to the one before it in the same chat
(the conversation never says the same thing twice in a row, so the control run shows 0).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from bench.botprocess import BotProcess
from emulator.server import BotApiEmulator

TAKEOVER_EVENT = "took over updates of a stopped worker"


async def kill_after(
    seconds: float, worker: BotProcess, snapshot: Callable[[int], dict[str, float]]
) -> dict[str, Any]:
    """Kill `worker` after `seconds`; its CPU so far is read just before (it has none after)."""
    await asyncio.sleep(seconds)
    cpu = snapshot(worker.pid)
    killed_at = time.perf_counter()
    await asyncio.to_thread(worker.kill)
    return {"killed_after_s": seconds, "killed_at": killed_at, "cpu_at_kill": cpu}


def adjacent_repeats(records: list[dict[str, Any]]) -> int:
    """Messages equal (text and buttons) to the message just before them."""
    keys = [
        (r.get("plain_text") or r.get("plain_caption"), json.dumps(r.get("reply_markup")))
        for r in records
    ]
    return sum(1 for before, after in itertools.pairwise(keys) if before == after)


async def repeated_sends(emulator: BotApiEmulator, user_ids: list[int]) -> dict[str, int]:
    total, chats = 0, 0
    for user_id in user_ids:
        found = adjacent_repeats(await emulator.bot_messages(user_id))
        total += found
        chats += found > 0
    return {"repeated_sends": total, "chats_with_repeats": chats}


def takeovers(log_text: str) -> dict[str, int]:
    """How often the survivors' sweeps took updates over, and how many updates in all."""
    sweeps, updates = 0, 0
    for line in log_text.splitlines():
        if TAKEOVER_EVENT not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        sweeps += 1
        updates += int(entry.get("count", 0))
    return {"takeover_sweeps": sweeps, "updates_taken_over": updates}
