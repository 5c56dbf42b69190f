"""The open-loop bench (bench/arrivals.py, bench/open_loop.py) and the figures run.py adds."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Callable

import pytest

from bench.arrivals import RateOutcome, TurnRecord, arrival_times, next_rate, run_rate
from bench.botprocess import start_phases
from bench.open_loop import format_rates, parse_args
from bench.outcome import ConversationOutcome
from bench.report import format_table
from bench.run import cpu_per_turn


def test_poisson_arrivals_are_seeded_and_near_the_rate() -> None:
    first = arrival_times(2.0, 500.0, "poisson", random.Random(15))
    assert first == arrival_times(2.0, 500.0, "poisson", random.Random(15))
    assert first != arrival_times(2.0, 500.0, "poisson", random.Random(16))
    assert 900 < len(first) < 1100, "about rate x span arrivals"
    assert all(0 < at < 500.0 for at in first) and first == sorted(first)
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert min(gaps) < 0.05 < 2.0 < max(gaps), "exponential gaps, not a fixed interval"


def test_fixed_arrivals_are_evenly_spaced() -> None:
    assert arrival_times(4.0, 1.0, "fixed", random.Random(0)) == [0.25, 0.5, 0.75]
    with pytest.raises(ValueError):
        arrival_times(0.0, 1.0, "fixed", random.Random(0))


def test_the_search_doubles_then_bisects_then_stops() -> None:
    assert next_rate([(0.5, True)]) == 1.0
    assert next_rate([(0.5, True), (1.0, True)]) == 2.0
    assert next_rate([(0.5, True), (1.0, True), (2.0, False)]) == pytest.approx(2**0.5)
    assert next_rate([(0.5, False)]) == 0.25
    assert next_rate([(1.0, True), (1.1, False)]) is None, "close enough"
    # A good rate above a bad one (noise) does not count as the upper bound's neighbour.
    assert next_rate([(1.0, True), (2.0, False), (4.0, True)]) == pytest.approx(2**0.5)


def _fake_patient(latency: float, calls: Counter[str] | None = None) -> Callable[..., object]:
    """A patient who answers in `latency`, thinks 10-30 ms, and takes at most 50 turns; each
    turn counts one sendMessage in `calls`, as the emulator counts the bot's."""

    async def converse(
        user_id: int,
        think_rng: random.Random,
        stop: asyncio.Event,
        record: Callable[[TurnRecord], None],
    ) -> ConversationOutcome:
        outcome = ConversationOutcome()
        for turn in range(50):
            if turn:
                try:
                    await asyncio.wait_for(stop.wait(), think_rng.uniform(0.01, 0.03))
                    return outcome
                except asyncio.TimeoutError:
                    pass
            sent = asyncio.get_running_loop().time()
            await asyncio.sleep(latency)
            if calls is not None:
                calls["sendMessage"] += 1
            outcome.latencies.append(latency)
            record(TurnRecord(sent, latency))
        outcome.completed = True
        return outcome

    return converse


async def test_a_rate_window_measures_only_its_window_and_ends_on_time() -> None:
    started = asyncio.get_running_loop().time()
    calls: Counter[str] = Counter({"setWebhook": 1})  # before the run: not the window's
    outcome = await run_rate(
        _fake_patient(0.02, calls), 40.0, ramp=0.3, window=0.6, kind="poisson", seed=1,
        first_user_id=1, drain_timeout=2.0, sample_every=0.05, api_calls=calls,
    )  # fmt: skip
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 1.5, "patients leave at their next pause once the window closes"
    assert 15 < outcome.arrivals < 60
    measured = outcome.measured()
    assert measured and len(measured) < len(outcome.turns), "ramp turns are not measured"
    assert all(outcome.measure_from <= t.sent_at < outcome.measure_to for t in measured)
    figures = outcome.figures(p95_target=1.0, workers=2)
    assert figures["p95_s"] == pytest.approx(0.02)
    assert figures["lost_turns"] == 0 and figures["meets_target"]
    assert figures["in_flight_max"] >= 1
    assert figures["in_flight_mean_per_worker"] == pytest.approx(figures["in_flight_mean"] / 2, 0.1)
    # One call per turn; turns answered after the window closed are not the window's.
    assert list(figures["bot_api_calls_per_turn"]) == ["sendMessage"]
    assert figures["bot_api_calls_per_turn"]["sendMessage"] == pytest.approx(1.0, abs=0.15)


def test_a_window_with_a_lost_turn_misses_the_target() -> None:
    outcome = RateOutcome(1.0, 0.0, 10.0, 20.0)
    outcome.turns = [TurnRecord(5.0, 9.0), TurnRecord(11.0, 0.2), TurnRecord(12.0, None)]
    outcome.in_flight = [(9.0, 50), (12.0, 3), (15.0, 5)]
    figures = outcome.figures(1.0, 1)
    assert figures["measured_turns"] == 2 and figures["lost_turns"] == 1
    assert figures["p95_s"] == 0.2 and not figures["meets_target"]
    assert figures["in_flight_mean"] == 4.0 and figures["in_flight_max"] == 5
    assert figures["machine_cpu_ms_per_turn"] is None  # no machine reading in this window
    outcome.machine_cpu = {"busy": 3.0, "idle": 17.0}
    figures = outcome.figures(1.0, 1)
    # 3 CPU-s over the window's one answered turn, the whole machine counted.
    assert figures["machine_busy_percent"] == 15.0
    assert figures["machine_cpu_ms_per_turn"] == 3000.0
    assert figures["processes_cpu_ms_per_turn"] is None
    outcome.processes_cpu = {"workers": 0.5, "bench_and_emulator": 0.1, "total": 0.6}
    by_part = outcome.figures(1.0, 1)["processes_cpu_ms_per_turn"]
    assert by_part == {"workers": 500.0, "bench_and_emulator": 100.0, "total": 600.0}
    assert "3000.0 ms" in format_rates(
        {"runs": [figures], "best": None, "p95_target_s": 1.0, "command": "bench.open_loop"}
    )


def test_the_report_names_the_best_rate_per_worker() -> None:
    good = RateOutcome(0.5, 0.0, 0.0, 10.0, [TurnRecord(1.0, 0.4)], [(1.0, 30)]).figures(1.0, 1)
    bad = RateOutcome(1.0, 0.0, 0.0, 10.0, [TurnRecord(1.0, 1.4)], [(1.0, 60)]).figures(1.0, 1)
    results = {
        "runs": [good, bad], "best": good, "p95_target_s": 1.0, "cold_start_s": 24.0,
        "command": "python -m bench.open_loop --database sqlite",
    }  # fmt: skip
    text = format_rates(results)
    assert "met" in text and "MISSED" in text
    assert "0.500 patients/s, 30.0 concurrent patients per worker" in text
    assert "no rate tried" in format_rates({**results, "best": None})


def test_open_loop_arguments() -> None:
    args = parse_args(["--rates", "0.5,1", "--database", "sqlite"])
    assert (args.think_min, args.think_max, args.arrivals) == (3.0, 20.0, "poisson")
    with pytest.raises(SystemExit):
        parse_args(["--think-min", "5", "--think-max", "2"])


def test_start_phases_from_the_bot_log() -> None:
    log = "\n".join(
        [
            '{"event": "start phase", "phase": "model", "seconds": 12.5}',
            '{"event": "repeated update ignored", "update_id": 1}',
            'not json "start phase"',
            '{"event": "start phase", "phase": "telegram", "seconds": 0.4}',
        ]
    )
    assert start_phases(log) == {"model": 12.5, "telegram": 0.4}


def test_cpu_per_turn_counts_every_worker_and_the_machine() -> None:
    workers = [{"bot": 40.0, "bot_children": 10.0}, {"bot": 38.0, "bot_children": 12.0}]
    figures = cpu_per_turn({"busy": 140.0, "idle": 6.0}, workers, 2000)
    assert figures == {"machine": 70.0, "workers_and_children": 50.0}
    assert cpu_per_turn({"busy": 1.0, "idle": 1.0}, workers, 0) is None
    table = format_table({"e2e": {"cpu_ms_per_turn": figures}, "machine": {}})
    assert "70.0 ms" in table and "50.0 ms" in table


def test_run_processes_cpu_counts_each_part_and_new_backends_whole() -> None:
    from bench.cpu import RigCpu

    before = RigCpu([1], 2, "postgresql://x/bench_e2e", {"workers": 10.0, "nginx": 1.0}, {7: 2.0})
    after = RigCpu(
        [1], 2, "postgresql://x/bench_e2e", {"workers": 40.0, "nginx": 1.5}, {7: 5.0, 8: 1.0}
    )
    assert after.spent(before) == {"workers": 30.0, "nginx": 0.5, "postgres": 4.0, "total": 34.5}


def test_failover_counts_repeated_sends_and_takeovers() -> None:
    from bench.failover import adjacent_repeats, takeovers

    def message(text: str, buttons: object = None) -> dict[str, object]:
        return {"plain_text": text, "reply_markup": buttons}

    records = [message("a"), message("a"), message("b", {"k": 1}), message("b", {"k": 2})]
    assert adjacent_repeats(records) == 1, "same text, other buttons: another message"
    log = "\n".join(
        [
            '{"event": "took over updates of a stopped worker", "count": 3}',
            '{"event": "bot started"}',
            '{"event": "took over updates of a stopped worker", "count": 2}',
        ]
    )
    assert takeovers(log) == {"takeover_sweeps": 2, "updates_taken_over": 5}
    failover = {
        "killed_after_s": 30.0, "repeated_sends": 1, "chats_with_repeats": 1,
        "updates_taken_over": 5, "takeover_sweeps": 2, "slowest_turn_s": 21.5,
    }  # fmt: skip
    table = format_table({"e2e": {"lost_turns": 0, "failover": failover}, "machine": {}})
    assert "SIGKILLed 30 s into the load; 0 turns lost, 1 sends repeated" in table
