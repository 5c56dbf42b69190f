"""The benchmark harness's pure parts: statistics, /proc parsing, profiles, the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.machine import cpu_model
from bench.procfs import (
    MemoryWatch,
    children,
    cpu_seconds_from_stat,
    machine_cpu_from_stat,
    parent_pid,
    status_kib,
)
from bench.profiling import top_frames
from bench.report import format_table, last_training_figure, verdicts, write_json
from bench.script import Action, Button, Conversation, PatientScript, Reply, step_name
from bench.stats import percentile, ratio, summarize, throughput
from translation.overlay import localized_file

STATUS = """Name:\tpython
VmPeak:\t 2000000 kB
VmHWM:\t 1267712 kB
VmRSS:\t 1048576 kB
Threads:\t40
"""


def test_percentile_interpolates_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 10.0
    # numpy.percentile([1, 2, 3, 4, 10], 95) == 8.8
    assert percentile(values, 0.95) == pytest.approx(8.8)
    assert percentile([5.0, 1.0, 3.0], 0.25) == 2.0  # unsorted input


def test_percentile_rejects_nothing_and_bad_fractions() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 95)


def test_summary_of_a_hundred_latencies() -> None:
    summary = summarize([i / 100 for i in range(1, 101)])
    assert summary.count == 100
    assert summary.p50 == pytest.approx(0.505)
    assert summary.p95 == pytest.approx(0.9505)
    assert summary.p99 == pytest.approx(0.9901)
    assert summary.max == 1.0
    assert summary.mean == pytest.approx(0.505)


def test_throughput_and_ratio_guard_empty_windows() -> None:
    assert throughput(100, 10.0, 12.0) == 50.0
    assert throughput(100, 10.0, 10.0) == 0.0
    assert ratio(1.2, 1.0) == pytest.approx(1.2)
    assert ratio(1.0, 0.0) is None


def test_status_fields_in_kib() -> None:
    assert status_kib(STATUS, "VmHWM") == 1_267_712
    assert status_kib(STATUS, "VmRSS") == 1_048_576
    assert status_kib(STATUS, "VmSwap") is None
    assert status_kib(STATUS, "Vm") is None  # a prefix of other fields is not a field


def test_stat_fields_survive_a_command_with_spaces_and_parentheses() -> None:
    stat = "4242 (python -m (bot)) S 4200 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0"
    assert parent_pid(stat) == 4200
    assert cpu_seconds_from_stat(stat, 100) == pytest.approx(3.0)


def test_machine_cpu_counts_steal_as_busy_and_iowait_as_idle() -> None:
    stat = "cpu  1000 10 200 5000 40 5 5 30 0 0\ncpu0 500 5 100 2500 20 2 3 15 0 0\n"
    assert machine_cpu_from_stat(stat, 100) == {"busy": 12.5, "idle": 50.4}


def _fake_proc(root: Path, processes: dict[int, tuple[int, int, int]]) -> Path:
    """pid -> (ppid, VmHWM kB, VmRSS kB) as /proc files."""
    for pid, (ppid, hwm, rss) in processes.items():
        folder = root / str(pid)
        folder.mkdir(parents=True)
        (folder / "stat").write_text(f"{pid} (py) S {ppid} 1 1 0 -1 0 0 0 0 0 7 3 0 0")
        (folder / "status").write_text(f"Name:\tpy\nVmHWM:\t{hwm} kB\nVmRSS:\t{rss} kB\n")
    (root / "self").mkdir()
    return root


def test_memory_watch_keeps_peaks_of_the_bot_and_its_children(tmp_path: Path) -> None:
    proc = _fake_proc(
        tmp_path,
        {100: (1, 1_048_576, 900_000), 101: (100, 51_200, 40_000), 102: (101, 10_240, 10_000),
         200: (1, 999_999, 999_999)},
    )  # fmt: skip
    assert children(100, proc) == [101, 102]
    watch = MemoryWatch(100)
    watch.sample(proc)
    figures = watch.as_dict()
    assert figures["bot_peak_rss_mib"] == 1024.0
    assert figures["children_peak_rss_mib"] == {"101": 50.0, "102": 10.0}
    assert figures["tree_peak_rss_mib"] == 1084.0
    assert figures["tree_rss_sampled_peak_mib"] == round((900_000 + 50_000) / 1024, 1)


def test_memory_watch_looks_for_new_children_only_now_and_then(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, {100: (1, 1000, 900), 101: (100, 500, 400)})
    watch = MemoryWatch(100, rescan_every=10.0)
    watch.sample(proc, now=0.0)
    _fake_proc(tmp_path / "more", {102: (100, 800, 700)})
    (tmp_path / "more" / "102").rename(tmp_path / "102")
    (tmp_path / "102" / "status").write_text("Name:\tpy\nVmHWM:\t2048 kB\nVmRSS:\t700 kB\n")
    watch.sample(proc, now=5.0)  # the tree as found at 0 s: 102 not read yet
    assert watch.as_dict()["children_peak_rss_mib"] == {"101": round(500 / 1024, 1)}
    watch.sample(proc, now=10.0)
    # Found late, it still reports its own peak, which the kernel kept.
    assert watch.as_dict()["children_peak_rss_mib"]["102"] == 2.0


def test_top_frames_inclusive_and_self() -> None:
    collapsed = "main;handle;rasa 6\nmain;handle;sqlite 3\nmain;poll 1\n"
    inclusive = {f.frame: f.share for f in top_frames(collapsed)}
    assert inclusive["main"] == 1.0 and inclusive["handle"] == 0.9
    own = top_frames(collapsed, inclusive=False)
    assert [(f.frame, f.samples) for f in own] == [("rasa", 6), ("sqlite", 3), ("poll", 1)]


def test_recursion_counts_a_frame_once_per_stack() -> None:
    assert top_frames("a;b;a;b 4\n")[0].share == 1.0


def test_cpu_model_from_cpuinfo() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 9B14\n") == "AMD EPYC 9B14"
    assert cpu_model("processor\t: 0\n") == "unknown"


def _results(**overrides: object) -> dict[str, object]:
    results: dict[str, object] = {
        "command": "python -m bench.run --patients 200",
        "patients": 200,
        "machine": {"nproc": 2, "cpu_model": "AMD EPYC", "memory_gib": 23.5},
        "e2e": {
            "latency": {"p50": 0.25, "p95": 0.5, "p99": 0.75},
            "throughput_turns_per_s": 45.0,
            "lost_turns": 0,
            "turns": 2400,
            "completed": 200,
            "conversations": 200,
            "cold_start_s": 42.0,
            "memory": {"bot_peak_rss_mib": 1200.0, "tree_peak_rss_mib": 1300.0},
        },
        "bare": {"latency": {"p50": 0.2, "p95": 0.45, "p99": 0.6}, "turns": 2200},
        "p95_ratio": 1.11,
        "training_s": 300.0,
    }
    results.update(overrides)
    return results


def test_verdicts_judge_each_target() -> None:
    found = {v.target.split(" ")[0]: v.met for v in verdicts(_results())}
    assert found == {"e2e": True, ">=": True, "peak": True, "cold": False}
    lost = _results()
    lost["e2e"]["lost_turns"] = 1  # type: ignore[index]
    assert [v.met for v in verdicts(lost)][1] is False
    small = {v.target.split(" ")[0]: v.met for v in verdicts(_results(patients=10))}
    assert small[">="] is None, "throughput is judged at 200 patients only"
    assert verdicts(_results(p95_ratio=1.2))[0].met is False


def test_table_shows_figures_targets_machine_and_command() -> None:
    table = format_table(_results())
    assert "500 ms" in table and "450 ms" in table  # both p95s
    assert "p95 ratio e2e / bare: 1.11" in table
    assert "[MISSED] cold start to first reply <= 30 s: 42.0 s" in table
    assert "[   met] peak RSS" in table
    assert "2 CPUs (AMD EPYC)" in table
    assert "command: python -m bench.run --patients 200" in table


def test_table_of_a_run_without_baseline() -> None:
    table = format_table(_results(bare=None, p95_ratio=None, training_s=None))
    assert "[   n/a] e2e p95" in table


def test_json_round_trip_and_last_training_figure(tmp_path: Path) -> None:
    written = write_json(_results(), tmp_path, "run-1")
    assert json.loads(written.read_text())["training_s"] == 300.0
    write_json(_results(training_s=99.0, training_from="run-1.json"), tmp_path, "run-2")
    assert last_training_figure(tmp_path) == (300.0, "run-1.json"), "only measured figures"
    assert last_training_figure(tmp_path / "none") is None


def _talk() -> Conversation:
    return Conversation.load()


def test_the_script_walks_the_whole_conversation() -> None:
    talk = _talk()
    script = PatientScript(talk)
    assert script.first() == Action("text", talk.procedure_question)
    asked = Reply("Cosmetic.", (Button(talk.second_opinion_button, "/request_second_opinion"),))
    assert script.next([asked]) == Action("button", talk.second_opinion_button)
    question = Reply("Risky?", (Button("Yes", "/affirm"), Button("No", "/deny")))
    intro = Reply("Let's see.")
    assert not script.ready([intro]), "no buttons yet: the turn is not over"
    assert script.next([intro, question]) == Action("text", talk.criteria_text)
    assert script.next([question]) == Action("button", talk.criterion_answer_button)
    consent = Reply("Before we pass it on", (Button("Continue", "/affirm"),))
    assert script.next([Reply("That meets 2"), consent]) == Action("button", "Continue")
    clause = Reply("Consent 1 of 5", (Button(talk.agree_button, "/affirm"),))
    for _ in range(5):
        assert script.next([clause]) == Action("button", talk.agree_button)
    assert script.agreed == 5
    done = [Reply("receipt"), Reply(f"Thank you. {talk.handoff_marker} C-1 is with our team")]
    assert script.finished(done) and script.next(done) is None


def test_the_script_gives_up_after_max_turns() -> None:
    script = PatientScript(_talk())
    clause = Reply("Consent", (Button(_talk().agree_button, "/affirm"),))
    actions = [script.next([clause]) for _ in range(_talk().max_turns + 1)]
    assert actions[-1] is None and all(actions[:-1])


def test_step_names() -> None:
    assert step_name(Action("button", "I agree")) == "button:I agree"
    assert step_name(Action("text", "breast lift cosmetic or plastic?")).startswith("typed:breast")


def _redis_url() -> str:
    from bench.lock_race import DEFAULT_REDIS_URL

    try:
        import redis

        redis.Redis.from_url(DEFAULT_REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"Redis not reachable at {DEFAULT_REDIS_URL}")
    return DEFAULT_REDIS_URL


@pytest.mark.redis
def test_two_workers_never_hold_the_same_ticket_of_a_conversation() -> None:
    from bench.lock_race import interleaved_tickets, ours

    first, second = interleaved_tickets(ours(_redis_url()))
    # Equal tickets mean both workers are "now serving": one conversation, two workers at once.
    assert first != second


def test_consent_order_check() -> None:
    from bench.script import consent_in_order

    talk = _talk()
    shown = ["Cosmetic.", *(f"Consent {n} of 5: clause {n}" for n in range(1, 6)), "Your case"]
    assert consent_in_order(talk, shown)
    assert not consent_in_order(talk, shown[:3] + shown[4:3:-1] + shown[3:4] + shown[5:])
    assert not consent_in_order(talk, [*shown[:3], shown[2], *shown[3:]]), "a clause shown twice"
    assert not consent_in_order(talk, shown[:4]), "stopped before the fifth"


def test_nginx_config_routes_to_this_runs_workers(tmp_path: Path) -> None:
    from bench.scaleout.proxy import nginx_config

    text = nginx_config(tmp_path, 18088, [15000, 15001, 15002])
    assert "listen 127.0.0.1:18088;" in text
    upstream = text.split("upstream bot_workers {")[1].split("}")[0]
    assert [line.strip() for line in upstream.splitlines() if "server" in line] == [
        "server 127.0.0.1:15000;",
        "server 127.0.0.1:15001;",
        "server 127.0.0.1:15002;",
    ]
    assert "5000;" not in text.replace("15000;", "")
    assert str(tmp_path / "nginx.pid") in text


def test_console_bench_seeds_and_measures_a_tiny_service(tmp_path: Path) -> None:
    """bench.console's seeding and measuring, at a tiny size on SQLite, so it cannot rot."""
    from bench.console import REPORTS, Size, format_table, run

    url = f"sqlite:///{tmp_path / 'console.db'}"
    size = Size(cases=12, days=3, big_case_messages=30)
    results = run(url, size, case_requests=2, report_requests=1)
    rows = results["seeded"]["rows"]
    assert (rows["cases"], rows["patients"], rows["staff_members"]) == (12, 18, 5)
    assert rows["transcript_messages"] >= 18 * 6 + 30
    assert rows["events"] >= 18 * 2
    expected = {"case_page", "reports_page"} | {f"{r}.{k}" for r in REPORTS for k in ("png", "csv")}
    assert set(results["pages"]) == expected
    assert results["pages"]["case_page"]["count"] == 2
    assert results["pages"]["funnel.png"]["bytes"] > 1000
    assert set(results["verdicts"]) == expected
    assert results["loop_lag"]["reports_open"]["ticks"] > 0
    table = format_table(results)
    assert "case_page" in table and "ratings.csv" in table


def test_idle_cost_is_cpu_milliseconds_per_second_by_part() -> None:
    from bench.idle import parse_args, per_second

    spent = {"workers": 0.6, "postgres": 0.06, "total": 0.66}
    assert per_second(spent, 60.0) == {"workers": 10.0, "postgres": 1.0, "total": 11.0}
    args = parse_args(["--workers", "2", "--webhook", "--seconds", "30"])
    assert (args.workers, args.webhook, args.seconds, args.rate_limit) == (2, True, 30.0, True)


def test_the_hindi_script_presses_buttons_the_hindi_bot_shows() -> None:
    """bench/conversation_hi.yml (python -m bench.languages): the same conversation in Hindi,
    its labels and markers taken from the Hindi the patient is sent."""
    talk = Conversation.load(Path(__file__).parents[1] / "bench" / "conversation_hi.yml")
    replies = localized_file("dialogue.yml", "hi")["replies"]
    titles = {b["title"] for reply in replies.values() for b in reply[0].get("buttons", [])}
    wanted = {talk.second_opinion_button, talk.criterion_answer_button, talk.agree_button}
    assert wanted | set(talk.continue_buttons) <= titles
    messages = localized_file("messages.yml", "hi")
    assert talk.handoff_marker in messages["handoff"]["second_opinion"]
    assert talk.handoff_marker not in replies["consent_intro"][0]["text"]
    clause = replies["consent_clause"][0]["text"].format(total="5", number="3", clause_text="")
    found = re.search(talk.consent_progress_pattern, clause)
    assert found is not None and found.group(1) == "3"
