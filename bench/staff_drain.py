"""The end of a staff bench scenario: until every case is shown to staff, how long each took.

"Claimable": the case's Take over button is in the group (the queue summary's line, or its
card), timed from the patient's message. "Announced": its topic and card are there.
"""

from __future__ import annotations

import time
from typing import Any

from bench.staff_watch import EventLog, announced, claimable
from bench.stats import summarize


def summary(values: list[float]) -> dict[str, float | int] | None:
    if not values:
        return None
    return {
        k: v if k == "count" else round(float(v), 3) for k, v in summarize(values).as_dict().items()
    }


def _unfinished(log: EventLog, groups: list[int], names: list[str], topics: bool) -> int:
    if topics:
        return sum(announced(log, groups, name) is None for name in names)
    return sum(claimable(log, groups, name) is None for name in names)


async def drain(
    log: EventLog,
    groups: list[int],
    names: list[str],
    asks: list[tuple[float, float | None]],
    timeout: float,
    *,
    topics: bool = True,
) -> dict[str, Any]:
    """Until every case is claimable and (`topics`) announced, or `timeout`: the delays from
    the patient's message."""
    deadline = time.perf_counter() + timeout
    while _unfinished(log, groups, names, False) and time.perf_counter() < deadline:
        await log.wait(lambda e: e.get("type") in ("sent", "edited"), time.perf_counter(), 1.0)
    while topics and _unfinished(log, groups, names, True) and time.perf_counter() < deadline:
        await log.wait(lambda e: e.get("type") == "sent", time.perf_counter(), 1.0)
    delays, claims, from_summary = [], [], 0
    by_group = {chat_id: 0 for chat_id in groups}
    for name, (sent, _) in zip(names, asks, strict=True):
        found = announced(log, groups, name)
        if found is not None:
            delays.append(found.card_at - sent)
            by_group[found.chat_id] += 1
        shown = claimable(log, groups, name)
        if shown is not None:
            claims.append(max(0.0, shown.at - sent))
            from_summary += shown.from_summary
    made = log.all(lambda e: e.get("type") == "topic_created")
    per_name = {name: sum(name in str(t.event.get("name")) for t in made) for name in names}
    return {
        "cases": len(names),
        "announced": len(delays),
        "not_announced": len(names) - len(delays),
        "topics_more_than_once": sum(count > 1 for count in per_name.values()),
        "by_group": {str(chat_id): count for chat_id, count in by_group.items()},
        "delay_from_message_s": summary(delays),
        "claimable": len(claims),
        "claimable_first_in_summary": from_summary,
        "claimable_from_message_s": summary(claims),
    }
