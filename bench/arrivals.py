"""Open-loop load: patients arrive at a rate, think between messages, and leave at a deadline.

The pure parts (arrival times, the rate search, a window's figures) and the driver, which
any `converse` can run: the emulated patient below, or a stand-in in the tests.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.cpu import RigCpu
from bench.outcome import ConversationOutcome
from bench.procfs import machine_cpu_seconds
from bench.script import Action
from bench.stats import percentile, throughput
from bench.through_emulator import EmulatedPatient


@dataclass(frozen=True)
class TurnRecord:
    """One patient turn: when it was sent (bench clock) and its reply latency (None: lost)."""

    sent_at: float
    latency: float | None


@dataclass
class RateOutcome:
    """What one arrival rate's window produced."""

    rate: float
    started: float
    measure_from: float
    measure_to: float
    turns: list[TurnRecord] = field(default_factory=list)
    # (bench clock, patients in flight), sampled every second (or `sample_every`).
    in_flight: list[tuple[float, int]] = field(default_factory=list)
    arrivals: int = 0
    completed: int = 0
    machine_cpu: dict[str, float] | None = None
    # CPU seconds of each process of the run over the window (bench/cpu.py), when counted.
    processes_cpu: dict[str, float] | None = None
    # Bot API calls the workers made in the window, by method (refused ones apart).
    api_calls: Counter[str] | None = None

    def measured(self) -> list[TurnRecord]:
        return [t for t in self.turns if self.measure_from <= t.sent_at < self.measure_to]

    def figures(self, p95_target: float, workers: int) -> dict[str, Any]:
        turns = self.measured()
        answered = [t.latency for t in turns if t.latency is not None]
        flight = [n for at, n in self.in_flight if self.measure_from <= at <= self.measure_to]
        mean_flight = sum(flight) / len(flight) if flight else 0.0
        p95 = percentile(answered, 0.95) if answered else None
        lost = sum(1 for t in turns if t.latency is None)
        busy = cpu_per_turn = None
        if self.machine_cpu is not None:
            total = self.machine_cpu["busy"] + self.machine_cpu["idle"]
            busy = round(100 * self.machine_cpu["busy"] / total, 1) if total > 0 else None
            # Every process of the machine, over the window, per turn answered in it: the
            # figure to compare one worker with two at the same arrivals (issue 15, point 5).
            if answered:
                cpu_per_turn = round(1000 * self.machine_cpu["busy"] / len(answered), 1)
        return {
            "arrival_rate_per_s": self.rate,
            "arrivals": self.arrivals,
            "completed": self.completed,
            "measured_turns": len(turns),
            "lost_turns": lost,
            "p50_s": round(percentile(answered, 0.5), 3) if answered else None,
            "p95_s": None if p95 is None else round(p95, 3),
            "p99_s": round(percentile(answered, 0.99), 3) if answered else None,
            "throughput_turns_per_s": round(
                throughput(len(answered), self.measure_from, self.measure_to), 2
            ),
            "in_flight_mean": round(mean_flight, 1),
            "in_flight_max": max(flight, default=0),
            "in_flight_mean_per_worker": round(mean_flight / workers, 1),
            "machine_busy_percent": busy,
            "machine_cpu_ms_per_turn": cpu_per_turn,
            "processes_cpu_ms_per_turn": per_turn(self.processes_cpu, len(answered)),
            "bot_api_calls_per_turn": calls_per_turn(self.api_calls, len(answered)),
            "meets_target": p95 is not None and p95 <= p95_target and lost == 0,
        }


def per_turn(seconds: dict[str, float] | None, turns: int) -> dict[str, float] | None:
    """CPU seconds by part as milliseconds per answered turn; None without either."""
    if seconds is None or not turns:
        return None
    return {part: round(1000 * value / turns, 1) for part, value in seconds.items()}


def calls_per_turn(calls: Counter[str] | None, turns: int) -> dict[str, float] | None:
    """Bot API calls by method per answered turn, most frequent first; None without either."""
    if calls is None or not turns:
        return None
    return {method: round(n / turns, 3) for method, n in calls.most_common()}


def arrival_times(rate: float, span: float, kind: str, rng: random.Random) -> list[float]:
    """Offsets (s) of patient arrivals within `span`: a Poisson process or a fixed interval."""
    if rate <= 0:
        raise ValueError("the arrival rate must be positive")
    times: list[float] = []
    at = 0.0
    while True:
        at += rng.expovariate(rate) if kind == "poisson" else 1.0 / rate
        if at >= span:
            return times
        times.append(at)


def next_rate(tried: list[tuple[float, bool]], closeness: float = 1.2) -> float | None:
    """The next rate to try: double while the target holds, then bisect; None once the
    highest good and lowest bad rate are within `closeness` of each other."""
    if not tried:
        raise ValueError("start from a first rate")
    bad = [rate for rate, ok in tried if not ok]
    if not bad:
        return 2 * max(rate for rate, _ in tried)
    lowest_bad = min(bad)
    good = [rate for rate, ok in tried if ok and rate < lowest_bad]
    if not good:
        return lowest_bad / 2
    highest_good = max(good)
    if lowest_bad / highest_good <= closeness:
        return None
    return math.sqrt(highest_good * lowest_bad)


# converse(user_id, think_rng, stop, record): one patient's whole visit.
Converse = Callable[
    [int, random.Random, asyncio.Event, Callable[[TurnRecord], None]],
    Awaitable[ConversationOutcome],
]


async def run_rate(
    converse: Converse,
    rate: float,
    ramp: float,
    window: float,
    kind: str,
    seed: int,
    first_user_id: int,
    drain_timeout: float,
    sample_every: float = 1.0,
    rig: RigCpu | None = None,
    # the emulator's live count of calls by method (`BotAccount.call_counts`)
    api_calls: Counter[str] | None = None,
) -> RateOutcome:
    """Arrivals for ramp + window seconds; turns sent in the window are the measured ones.

    At the end of the window patients stop at their next pause (a turn in flight is still
    waited for, up to `drain_timeout`), so the next rate starts from a quiet bot.
    """
    rng = random.Random(f"arrivals:{seed}:{rate}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = RateOutcome(rate, started, started + ramp, started + ramp + window)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    in_flight = 0
    machine: list[dict[str, float]] = []
    rig_before: list[RigCpu] = []
    calls_from: list[Counter[str]] = []

    async def visit(user_id: int) -> None:
        nonlocal in_flight
        in_flight += 1
        try:
            think_rng = random.Random(f"think:{seed}:{user_id}")
            done = await converse(user_id, think_rng, stop, outcome.turns.append)
            outcome.completed += int(done.completed)
        finally:
            in_flight -= 1

    async def watch() -> None:
        while not stop.is_set():
            now = loop.time()
            outcome.in_flight.append((now, in_flight))
            if not machine and now >= outcome.measure_from:
                machine.append(machine_cpu_seconds())
                if api_calls is not None:
                    calls_from.append(api_calls.copy())
                if rig is not None:
                    rig_before.append(await asyncio.to_thread(rig.snapshot))
            await asyncio.sleep(sample_every)

    watcher = asyncio.create_task(watch())
    user_ids = itertools.count(first_user_id)
    for at in arrival_times(rate, ramp + window, kind, rng):
        await asyncio.sleep(max(0.0, started + at - loop.time()))
        tasks.append(asyncio.create_task(visit(next(user_ids))))
    outcome.arrivals = len(tasks)
    await asyncio.sleep(max(0.0, outcome.measure_to - loop.time()))
    if machine:
        after = machine_cpu_seconds()
        outcome.machine_cpu = {k: round(after[k] - machine[0][k], 2) for k in after}
        if api_calls is not None and calls_from:
            outcome.api_calls = api_calls - calls_from[0]
        if rig is not None and rig_before:
            rig_after = await asyncio.to_thread(rig.snapshot)
            outcome.processes_cpu = rig_after.spent(rig_before[0])
    stop.set()
    await watcher
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=drain_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return outcome


class ThinkingPatient(EmulatedPatient):
    """An emulated patient who pauses 3-20 s before each message after the first."""

    def __init__(
        self,
        *args: Any,
        think: Callable[[], float],
        stop: asyncio.Event,
        record: Callable[[TurnRecord], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._think = think
        self._stop = stop
        self._record = record
        self._taken = 0

    async def _take_turn(
        self, action: Action, previous: list[dict[str, Any]], outcome: ConversationOutcome
    ) -> list[dict[str, Any]]:
        if self._taken:
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._think())
            except asyncio.TimeoutError:
                pass
            else:
                return []  # the window closed while this patient was reading: not a lost turn
        self._taken += 1
        sent = asyncio.get_running_loop().time()
        answered = len(outcome.latencies)
        records = await super()._take_turn(action, previous, outcome)
        latency = outcome.latencies[-1] if len(outcome.latencies) > answered else None
        self._record(TurnRecord(sent, latency))
        return records
