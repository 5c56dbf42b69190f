"""bench.staff's targets (issue 13, point 3; issue 24) judged on a run's figures, and its table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    met: bool | None  # None: not measured in this run

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _get(results: dict[str, Any], *keys: str) -> Any:
    value: Any = results
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _at_most(target: str, value: float | None, limit: float) -> Verdict:
    return Verdict(target, _s(value), None if value is None else value <= limit)


def verdicts(results: dict[str, Any]) -> list[Verdict]:
    """Each target of the issue with this run's figure; scenarios not run are left out."""
    found: list[Verdict] = []
    a = results.get("scenario_a")
    if a is not None:
        found.append(
            _at_most(
                "A: patient told of the take over <= 5 s", a.get("patient_told_of_take_over_s"), 5.0
            )
        )
        p95 = _get(a, "patient_to_staff_s", "p95")
        found.append(_at_most("A: patient -> staff relay p95 <= 3.5 s", p95, 3.5))
        if a.get("patient_to_staff_lost"):
            found.append(
                Verdict(
                    "A: every patient message relayed",
                    str(a["patient_to_staff_lost"]) + " lost",
                    False,
                )
            )
        p95 = _get(a, "staff_to_patient_s", "p95")
        found.append(_at_most("A: staff -> patient relay p95 <= 1.5 s", p95, 1.5))
        receipt = _get(a, "consent_during_burst", "receipt_after_last_clause_s")
        found.append(_at_most("A: receipt <= 5 s after the last clause", receipt, 5.0))
        during = _get(a, "consent_during_burst", "next_reply_s")
        without = _get(a, "consent_without_burst", "next_reply_s")
        usual = _get(a, "consent_during_burst", "earlier_turns_s", "p95")
        # "The usual latency": within the same patient's own turns before the burst (their
        # p95), or no slower than twice the same step of a patient without the burst.
        limit = None if usual is None or without is None else max(usual, 2 * without)
        found.append(
            Verdict(
                "A: next reply at the usual latency",
                f"{_s(during)} (same step without the burst {_s(without)}; "
                f"this patient's earlier turns p95 {_s(usual)})",
                None if during is None or limit is None else during <= limit,
            )
        )
        found.append(_no_429("A", a))
        found.append(_all_claimable("A", a, 10.0))
    b = results.get("scenario_b")
    if b is not None:
        shown = _get(b, "announcements", "announced")
        cases = _get(b, "announcements", "cases")
        again = _get(b, "announcements", "topics_more_than_once") or 0
        unanswered = b.get("patients_unanswered") or 0
        found.append(
            Verdict(
                "B: every case announced, nothing lost",
                f"{shown} / {cases} announced, {again} twice, {unanswered} patients unanswered",
                None if shown is None else shown == cases and not again and not unanswered,
            )
        )
        found.append(_no_429("B", b))
    c = results.get("scenario_c")
    if c is not None:
        found.append(_all_claimable("C", c, 15.0))
        again = _get(c, "announcements", "topics_more_than_once")
        found.append(
            Verdict(
                "C: none announced twice", f"{again} twice", None if again is None else not again
            )
        )
        worst = _get(c, "take_over_topic_and_card_s", "max")
        missing = c.get("taken_without_topic") or 0
        verdict = _at_most("C: each taken case's topic and card <= 10 s after the press", worst, 10)
        if missing:
            verdict = Verdict(verdict.target, f"{verdict.figure}; {missing} without", False)
        found.append(verdict)
        found.append(
            _at_most(
                "C: patient told of each take over <= 5 s",
                _get(c, "take_over_patient_told_s", "max"),
                5.0,
            )
        )
        found.append(_no_429("C", c))
    return found


def _all_claimable(name: str, scenario: dict[str, Any], limit: float) -> Verdict:
    """Issue 24: every case with a Take over button in the group within `limit` (the worst)."""
    shown = _get(scenario, "announcements", "claimable")
    cases = _get(scenario, "announcements", "cases")
    worst = _get(scenario, "announcements", "claimable_from_message_s", "max")
    verdict = _at_most(f"{name}: every case claimable <= {limit:g} s (worst)", worst, limit)
    if shown is not None and shown != cases:
        return Verdict(verdict.target, f"{verdict.figure}; {shown} / {cases} shown", False)
    return verdict


def _no_429(name: str, scenario: dict[str, Any]) -> Verdict:
    count = _get(scenario, "limits", "responses_429")
    refused = _get(scenario, "limits", "emulator_refused")
    return Verdict(
        f"{name}: 0 responses with 429",
        f"{count} ({refused})",
        None if count is None else count == 0,
    )


def _row(label: str, value: Any) -> str:
    return f"  {label:<46} {value}"


def _summary(value: dict[str, Any] | None) -> str:
    if not value:
        return "-"
    p50, p95, top, count = value["p50"], value["p95"], value["max"], value["count"]
    return f"p50 {p50:.2f} / p95 {p95:.2f} / max {top:.2f} s (n={count})"


def format_table(results: dict[str, Any]) -> str:
    machine = results.get("machine") or {}
    lines = [
        f"command: {results.get('command')}",
        f"machine: {machine.get('nproc')} CPUs, {machine.get('cpu_model')}, "
        f"load average at start {machine.get('loadavg_at_start')}",
    ]
    a = results.get("scenario_a")
    if a is not None:
        lines += [
            "scenario A (one burst, one staff group):",
            _row("burst handoff replies", _summary(a.get("burst_handoff_reply_s"))),
            _row("announcements waiting at the press", a.get("waiting_at_take_over")),
            _row("patient told of the take over", _s(a.get("patient_told_of_take_over_s"))),
            _row(
                "take over acknowledged in the topic",
                _s(a.get("take_over_acknowledged_in_topic_s")),
            ),
            _row("patient -> staff", _summary(a.get("patient_to_staff_s"))),
            _row("staff -> patient", _summary(a.get("staff_to_patient_s"))),
            _row("announcements waiting after the relays", a.get("waiting_after_relays")),
        ]
        for key, label in (
            ("consent_without_burst", "without"),
            ("consent_during_burst", "during"),
        ):
            c = a.get(key) or {}
            lines.append(
                _row(
                    f"consent {label} the burst: receipt / next reply",
                    f"{_s(c.get('receipt_after_last_clause_s'))} / {_s(c.get('next_reply_s'))}"
                    f" (earlier turns {_summary(c.get('earlier_turns_s'))})",
                )
            )
        lines.append(_row("claimable (summary or card)", _summary(_claims(a))))
        lines.append(_row("taken over from", a.get("taken_over_from")))
        lines.append(
            _row("topic and card after the take over", _s(a.get("take_over_topic_and_card_s")))
        )
        lines.append(
            _row("announcement delay", _summary(_get(a, "announcements", "delay_from_message_s")))
        )
        lines.append(_row("429s (emulator refusals)", _limits(a)))
    b = results.get("scenario_b")
    if b is not None:
        ann = b.get("announcements") or {}
        lines += [
            f"scenario B ({_get(b, 'size', 'cases')} cases over {b.get('sent_over_s')} s, "
            f"{_get(b, 'size', 'groups')} groups):",
            _row("handoff replies", _summary(b.get("handoff_reply_s"))),
            _row(
                "announced / by group",
                f"{ann.get('announced')} / {ann.get('cases')}, {ann.get('by_group')}",
            ),
            _row("claimable (summary or card)", _summary(_claims(b))),
            _row("announcement delay", _summary(ann.get("delay_from_message_s"))),
            _row("429s (emulator refusals)", _limits(b)),
        ]
    c = results.get("scenario_c")
    if c is not None:
        ann = c.get("announcements") or {}
        lines += [
            f"scenario C ({_get(c, 'size', 'cases')} cases over {c.get('sent_over_s')} s, "
            "one group):",
            _row("handoff replies", _summary(c.get("handoff_reply_s"))),
            _row("claimable (summary or card)", _summary(_claims(c))),
            _row(
                "taken over / from the summary",
                f"{c.get('taken_over')} / {c.get('taken_over_from_summary')}",
            ),
            _row(
                "topic and card after the take over", _summary(c.get("take_over_topic_and_card_s"))
            ),
            _row("patient told of the take over", _summary(c.get("take_over_patient_told_s"))),
            _row(
                "topics made by the end / twice",
                f"{ann.get('announced')} / {ann.get('topics_more_than_once')}",
            ),
            _row("429s (emulator refusals)", _limits(c)),
        ]
    lines.append("targets:")
    for verdict in verdicts(results):
        mark = {True: "met", False: "MISSED", None: "n/a"}[verdict.met]
        lines.append(f"  [{mark:>6}] {verdict.target}: {verdict.figure}")
    return "\n".join(lines)


def _claims(scenario: dict[str, Any]) -> Any:
    return _get(scenario, "announcements", "claimable_from_message_s")


def _limits(scenario: dict[str, Any]) -> str:
    limits = scenario.get("limits") or {}
    return (
        f"{limits.get('responses_429')} ({limits.get('emulator_refused')}); "
        f"bot log: {limits.get('bot_log_flood_waits')} flood waits, "
        f"{limits.get('bot_log_staff_sends_failed')} staff sends failed"
    )
