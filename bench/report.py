"""The benchmark's figures as a table for people and a JSON document for the record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Issue 7's targets on the 2-core machine.
MAX_P95_RATIO = 1.15
MIN_THROUGHPUT = 40.0
THROUGHPUT_AT_PATIENTS = 200
MAX_PEAK_RSS_MIB = 1536.0
MAX_COLD_START_S = 30.0


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run (or not at the target's scale)

    def word(self) -> str:
        return {True: "met", False: "MISSED", None: "n/a"}[self.met]


def _get(results: dict[str, Any], *keys: str) -> Any:
    node: Any = results
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def verdicts(results: dict[str, Any]) -> list[Verdict]:
    """Each of the issue's targets against this run's figures."""
    found: list[Verdict] = []
    ratio = results.get("p95_ratio")
    found.append(
        Verdict(
            f"e2e p95 <= {MAX_P95_RATIO} x bare p95",
            "-" if ratio is None else f"{ratio:.2f} x",
            None if ratio is None else ratio <= MAX_P95_RATIO,
        )
    )
    rate = _get(results, "e2e", "throughput_turns_per_s")
    lost = _get(results, "e2e", "lost_turns")
    at_scale = results.get("patients", 0) >= THROUGHPUT_AT_PATIENTS
    found.append(
        Verdict(
            f">= {MIN_THROUGHPUT:.0f} msg/s at {THROUGHPUT_AT_PATIENTS} patients, none lost",
            "-" if rate is None else f"{rate:.1f} msg/s, {lost} lost",
            None if rate is None or not at_scale else rate >= MIN_THROUGHPUT and lost == 0,
        )
    )
    rss = _get(results, "e2e", "memory", "tree_peak_rss_mib")
    found.append(
        Verdict(
            f"peak RSS <= {MAX_PEAK_RSS_MIB:.0f} MiB (bot + action server)",
            "-" if rss is None else f"{rss:.0f} MiB",
            None if rss is None else rss <= MAX_PEAK_RSS_MIB,
        )
    )
    cold = _get(results, "e2e", "cold_start_s")
    found.append(
        Verdict(
            f"cold start to first reply <= {MAX_COLD_START_S:.0f} s",
            "-" if cold is None else f"{cold:.1f} s",
            None if cold is None else cold <= MAX_COLD_START_S,
        )
    )
    return found


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def _number(value: float | int | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value}{unit}"
    return f"{value:.{digits}f}{unit}"


def _busy(machine: dict[str, float] | None) -> str:
    """Busy share of all the machine's CPUs during the load window."""
    if not machine or machine["busy"] + machine["idle"] <= 0:
        return "-"
    return f"{100 * machine['busy'] / (machine['busy'] + machine['idle']):.0f} %"


def format_table(results: dict[str, Any]) -> str:
    """A plain-text table: figures side by side, then the targets."""
    e2e = results.get("e2e") or {}
    bare = results.get("bare") or {}
    rows: list[tuple[str, str, str]] = [
        ("reply latency p50", _ms(_get(e2e, "latency", "p50")), _ms(_get(bare, "latency", "p50"))),
        ("reply latency p95", _ms(_get(e2e, "latency", "p95")), _ms(_get(bare, "latency", "p95"))),
        ("reply latency p99", _ms(_get(e2e, "latency", "p99")), _ms(_get(bare, "latency", "p99"))),
        (
            "throughput (patient msg/s)",
            _number(e2e.get("throughput_turns_per_s")),
            _number(bare.get("throughput_turns_per_s")),
        ),
        ("turns answered", _number(e2e.get("turns")), _number(bare.get("turns"))),
        ("turns lost", _number(e2e.get("lost_turns")), _number(bare.get("lost_turns"))),
        (
            "conversations completed",
            f"{_number(e2e.get('completed'))}/{_number(e2e.get('conversations'))}",
            f"{_number(bare.get('completed'))}/{_number(bare.get('conversations'))}",
        ),
        (
            "peak RSS bot process",
            _number(_get(e2e, "memory", "bot_peak_rss_mib"), " MiB", 0),
            "",
        ),
        (
            "peak RSS bot + action server",
            _number(_get(e2e, "memory", "tree_peak_rss_mib"), " MiB", 0),
            "",
        ),
        ("machine CPU busy during load", _busy(e2e.get("machine_cpu_seconds_during_load")), ""),
        (
            "CPU per answered turn, machine",
            _number(_get(e2e, "cpu_ms_per_turn", "machine"), " ms"),
            "",
        ),
        (
            "CPU per turn, workers + children",
            _number(_get(e2e, "cpu_ms_per_turn", "workers_and_children"), " ms"),
            "",
        ),
        (
            "CPU per turn, all run processes",
            _number(_get(e2e, "cpu_ms_per_turn", "run_processes"), " ms"),
            "",
        ),
        ("cold start to first reply", _number(e2e.get("cold_start_s"), " s"), ""),
        ("training time (rasa train)", _number(results.get("training_s"), " s"), ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':{width}}  {'bot via emulator':>18}  {'bare Rasa':>12}"]
    lines += [f"{name:{width}}  {left:>18}  {right:>12}" for name, left, right in rows]
    ratio = results.get("p95_ratio")
    lines.append(f"p95 ratio e2e / bare: {'-' if ratio is None else f'{ratio:.2f}'}")
    failover = e2e.get("failover")
    if failover:
        lines.append(
            f"failover: a worker SIGKILLed {failover['killed_after_s']:.0f} s into the load; "
            f"{e2e.get('lost_turns')} turns lost, {failover['repeated_sends']} sends repeated "
            f"(in {failover['chats_with_repeats']} chats), {failover['updates_taken_over']} "
            f"updates taken over in {failover['takeover_sweeps']} sweeps, slowest turn "
            f"{failover['slowest_turn_s']} s"
        )
    lines.append("")
    for verdict in verdicts(results):
        lines.append(f"[{verdict.word():>6}] {verdict.target}: {verdict.measured}")
    machine = results.get("machine") or {}
    lines.append("")
    lines.append(
        f"machine: {machine.get('nproc')} CPUs ({machine.get('cpu_model')}), "
        f"{machine.get('memory_gib')} GiB"
    )
    lines.append(f"command: {results.get('command')}")
    return "\n".join(lines)


def write_json(results: dict[str, Any], directory: Path, stem: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path


def last_training_figure(directory: Path) -> tuple[float, str] | None:
    """The newest measured training time among earlier results, and the file it came from."""
    candidates = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        try:
            seconds = json.loads(path.read_text()).get("training_s")
        except (json.JSONDecodeError, OSError, AttributeError):
            continue
        if isinstance(seconds, (int, float)) and not _get(
            json.loads(path.read_text()), "training_from"
        ):
            return float(seconds), path.name
    return None
