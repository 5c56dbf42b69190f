"""A staff group's sender: lanes in order, paced to the group's budget, 429s honoured, and
nothing lost across a restart. The clock is a fake one: no test sleeps."""

from __future__ import annotations

import datetime as dt

from telegram.error import RetryAfter, TimedOut

from staff.pacing import GroupBudget
from staff.sender import BULK, BULK_HEADROOM, LIVE, PROMPT, PROMPT_PATIENCE_SECONDS, GroupSender
from storage.staff_lanes import StaffLaneStore, StaffSend
from tests.staff.conftest import FakeClock

GROUP = -100_111


class Telegram:
    """Stands in for the Bot API: records what was sent and when, or fails as told."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, str, int]] = []
        self.failures: list[Exception] = []

    async def perform(self, entry: StaffSend) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((self.clock.seconds, entry.payload["name"], entry.lane))

    async def cost(self, entry: StaffSend) -> int:
        return int(entry.payload.get("cost", 1))


def _sender(lanes: StaffLaneStore, telegram: Telegram, clock: FakeClock, owner: str = "w1"):
    budget = GroupBudget(clock=clock.monotonic)
    return GroupSender(
        GROUP,
        lanes,
        telegram.perform,
        telegram.cost,
        budget=budget,
        owner=owner,
        now=clock.now,
        pause=clock.pause,
    )


async def _run(sender: GroupSender, telegram: Telegram, until_sent: int, steps: int = 2000) -> None:
    for _ in range(steps):
        if len(telegram.sent) >= until_sent:
            return
        await sender.step()
    raise AssertionError(f"only {len(telegram.sent)} of {until_sent} sent")


async def test_a_live_entry_overtakes_a_burst_of_announcements(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    telegram = Telegram(clock)
    sender = _sender(lanes, telegram, clock)
    for n in range(20):  # 20 new cases: a topic and a card each
        await lanes.enqueue(GROUP, BULK, "announce", {"name": f"case{n}", "cost": 2})
    await _run(sender, telegram, until_sent=5)
    pressed_at = clock.seconds
    await lanes.enqueue(GROUP, LIVE, "say", {"name": "take-over ack"})
    await lanes.enqueue(GROUP, PROMPT, "announce", {"name": "urgent case", "cost": 2})
    await _run(sender, telegram, until_sent=7)
    # The live entry goes next, at once: the reserve kept a token for it.
    assert telegram.sent[5][1:] == ("take-over ack", LIVE)
    assert telegram.sent[5][0] == pressed_at
    # Then the urgent announcement, ahead of the 15 normal ones still waiting.
    assert telegram.sent[6][1] == "urgent case"
    await _run(sender, telegram, until_sent=22)
    assert [name for _, name, _ in telegram.sent[7:]] == [f"case{n}" for n in range(5, 20)]


async def test_sends_never_exceed_twenty_a_minute_into_one_group(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    telegram = Telegram(clock)
    sender = _sender(lanes, telegram, clock)
    for n in range(60):
        await lanes.enqueue(GROUP, BULK if n % 3 else LIVE, "say", {"name": f"m{n}"})
    await _run(sender, telegram, until_sent=60)
    times = [at for at, _, _ in telegram.sent]
    # Telegram's own bucket: 20 a minute, a burst of 20. Replay our sends through it.
    tokens, last = 20.0, times[0]
    for at in times:
        tokens = min(20.0, tokens + (at - last) * 20 / 60)
        last = at
        assert tokens >= 1 - 1e-9, f"a send at {at} would have met a 429"
        tokens -= 1
    # And no slower than our budget: a burst of 10, then 18 a minute, once the live lane's
    # reserve of 4 (spent by the live entries, which went first) and the background lane's
    # headroom above it (the queue summary's next edit) are back.
    assert times[-1] - times[0] <= (60 - 10 + 4 + BULK_HEADROOM) / 18 * 60 + 1


async def test_a_flood_wait_is_honoured_and_loses_nothing(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    telegram = Telegram(clock)
    sender = _sender(lanes, telegram, clock)
    await lanes.enqueue(GROUP, LIVE, "say", {"name": "first"})
    await lanes.enqueue(GROUP, LIVE, "say", {"name": "second"})
    telegram.failures.append(RetryAfter(dt.timedelta(seconds=7)))
    refused_at = clock.seconds
    await _run(sender, telegram, until_sent=2)
    assert [name for _, name, _ in telegram.sent] == ["first", "second"]
    assert telegram.sent[0][0] >= refused_at + 7  # nothing went before retry_after
    assert (await lanes.backlog(GROUP)) == {}


async def test_a_network_failure_is_retried_with_backoff(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    telegram = Telegram(clock)
    sender = _sender(lanes, telegram, clock)
    await lanes.enqueue(GROUP, BULK, "announce", {"name": "case"})
    telegram.failures.append(TimedOut())
    await _run(sender, telegram, until_sent=1)
    assert telegram.sent[0][1] == "case"


async def test_a_pending_entry_survives_a_restart_and_is_sent(db, clock: FakeClock) -> None:
    before = StaffLaneStore(db)
    await before.enqueue(GROUP, BULK, "announce", {"name": "kept"})
    await before.enqueue(GROUP, LIVE, "copy", {"name": "relay"})
    # A new process: new store, new sender, new budget; the first one's lease has lapsed.
    after = StaffLaneStore(db)
    telegram = Telegram(clock)
    sender = _sender(after, telegram, clock, owner="w2")
    await _run(sender, telegram, until_sent=2)
    assert [name for _, name, _ in telegram.sent] == ["relay", "kept"]
    assert (await after.backlog(GROUP)) == {}


async def test_one_worker_at_a_time_sends_into_a_group(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    first, second = Telegram(clock), Telegram(clock)
    one = _sender(lanes, first, clock, owner="w1")
    two = _sender(lanes, second, clock, owner="w2")
    for n in range(4):
        await lanes.enqueue(GROUP, LIVE, "say", {"name": f"m{n}"})
    await one.step()
    for _ in range(10):
        await two.step()
    await _run(one, first, until_sent=4)
    assert len(first.sent) == 4 and second.sent == []


async def test_a_newer_card_or_summary_replaces_the_one_still_waiting(
    lanes: StaffLaneStore,
) -> None:
    first = await lanes.enqueue(GROUP, BULK, "queue_summary", {"v": 1}, merge_key="queue")
    second = await lanes.enqueue(GROUP, LIVE, "queue_summary", {"v": 2}, merge_key="queue")
    assert first == second
    entry = await lanes.next_due(GROUP, (LIVE,), dt.datetime.now(dt.timezone.utc))
    assert entry is not None and entry.payload == {"v": 2}


async def test_a_late_prompt_entry_may_spend_the_live_reserve(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    """The queue summary waits for a token above the reserve, but not for ever: once it has
    waited PROMPT_PATIENCE_SECONDS, a new case must not stay out of sight for the reserve."""
    telegram = Telegram(clock)
    budget = GroupBudget(per_minute=0.001, clock=clock.monotonic)  # no refill to speak of
    sender = GroupSender(
        GROUP, lanes, telegram.perform, telegram.cost, budget=budget, owner="w1",
        now=clock.now, pause=clock.pause,
    )  # fmt: skip
    await lanes.enqueue(GROUP, PROMPT, "queue_summary", {"name": "summary"})
    entry = await lanes.next_due(
        GROUP, (LIVE, PROMPT, BULK), dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    )
    assert entry is not None
    recorded = (entry.created_at - clock.now()).total_seconds()
    clock.seconds += recorded + 1.0  # the clock one second after it was recorded
    budget.tokens, budget._updated = budget.reserve, clock.monotonic()
    assert not await sender.step() and telegram.sent == []
    clock.seconds += PROMPT_PATIENCE_SECONDS
    assert await sender.step()
    assert [name for _, name, _ in telegram.sent] == ["summary"]
    assert budget.tokens < budget.reserve


async def test_a_group_is_quiet_while_its_budget_has_room_beyond_the_reserve(
    lanes: StaffLaneStore, clock: FakeClock
) -> None:
    telegram = Telegram(clock)
    sender = _sender(lanes, telegram, clock)
    assert not sender.has_spare(3)  # not this worker's group (yet): no judging its budget
    await sender.step()  # takes the lease; nothing to send
    assert sender.has_spare(3)  # 10 tokens: 3 and the reserve of 4 and 1 more
    sender.budget.spend(3)
    assert not sender.has_spare(3)


async def test_a_summary_wanted_sooner_moves_the_waiting_one_up(lanes: StaffLaneStore) -> None:
    """A quiet group's summary edit may wait to be merged; a burst's edit is due at once."""
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=20)
    first = await lanes.enqueue(
        GROUP, BULK, "queue_summary", {"name": "s"}, merge_key="queue", not_before=later
    )
    far = later + dt.timedelta(seconds=1)
    assert (
        await lanes.next_due(GROUP, (LIVE, PROMPT, BULK), later - dt.timedelta(seconds=1)) is None
    )
    again = await lanes.enqueue(GROUP, BULK, "queue_summary", {"name": "s"}, merge_key="queue")
    assert again == first  # merged, and not sooner unless asked
    assert (
        await lanes.next_due(GROUP, (LIVE, PROMPT, BULK), later - dt.timedelta(seconds=1)) is None
    )
    await lanes.enqueue(
        GROUP, PROMPT, "queue_summary", {"name": "s"}, merge_key="queue", sooner=True
    )
    due = await lanes.next_due(GROUP, (LIVE, PROMPT, BULK), dt.datetime.now(dt.timezone.utc))
    assert due is not None and due.id == first and due.lane == PROMPT
    assert await lanes.next_due(GROUP, (LIVE, PROMPT, BULK), far) is not None
