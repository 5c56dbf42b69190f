"""Run N simulated patients concurrently, with a progress bar, until a count or a deadline."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable

from tqdm import tqdm

from bench.outcome import BatchOutcome, ConversationOutcome

Converse = Callable[[int], Awaitable[ConversationOutcome]]


async def run_load(
    converse: Converse,
    patients: int,
    conversations: int,
    duration: float | None,
    label: str,
    first_user_id: int,
) -> BatchOutcome:
    """`patients` workers each run conversations back to back (a new user id each time).

    Without a duration, `conversations` conversations are run in all; with one, workers stop
    starting new conversations once it has passed.
    """
    user_ids = itertools.count(first_user_id)
    remaining = conversations
    batch = BatchOutcome(started=time.perf_counter())
    deadline = None if duration is None else batch.started + duration
    bar = tqdm(total=None if duration else conversations, desc=label, unit="conv", leave=True)

    async def worker() -> None:
        nonlocal remaining
        while True:
            if deadline is not None:
                if time.perf_counter() >= deadline:
                    return
            elif remaining <= 0:
                return
            remaining -= 1
            outcome = await converse(next(user_ids))
            batch.conversations.append(outcome)
            bar.update(1)
            bar.set_postfix(turns=batch.turns, lost=batch.lost_turns, refresh=False)

    try:
        await asyncio.gather(*(worker() for _ in range(patients)))
    finally:
        bar.close()
    batch.finished = time.perf_counter()
    return batch
