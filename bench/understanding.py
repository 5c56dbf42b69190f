"""Understanding measured on sets built independently of the training data in nlu/.

    python -m bench.understanding [--every N]
    python -m bench.understanding --latency     # the added NLU components' time per message
    python -m bench.understanding --fresh       # the sets written blind to the lexicon

- Coverage: every procedure of content/procedures.yml x every name and synonym x every
  template of tests/understanding/sets/coverage_templates.yml (written for this test,
  none in nlu/). The answer must lead with the catalog's category; for a purpose-dependent
  procedure, the usual category and the exception.
- Emergencies: tests/understanding/sets/emergencies.yml, each must get the emergency
  guidance (self-harm: the Tele-MANAS reply) and an urgent case.
- False alarms: the coverage set and tests/understanding/sets/ordinary.yml must raise no
  emergency and no "Is this happening right now?".

Every message goes to a fresh conversation of the trained model (models/triage.tar.gz)
with the real action server. The misses are printed one a line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.conversations import EMERGENCY_MARK, Conversations, Outcome, leading_category
from bench.sets import SETS, SetItem, items

COVERAGE_TARGET = 0.99


@dataclass(frozen=True)
class CoverageQuestion:
    text: str
    procedure_id: str
    term: str
    style: str


@dataclass
class Report:
    coverage_total: int = 0
    coverage_misses: list[tuple[CoverageQuestion, str]] = field(default_factory=list)
    emergency_total: int = 0
    emergency_misses: list[tuple[SetItem, str]] = field(default_factory=list)
    false_alarms: list[tuple[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    ordinary_total: int = 0
    seconds: float = 0.0

    @property
    def coverage_rate(self) -> float:
        return 1 - len(self.coverage_misses) / self.coverage_total if self.coverage_total else 0.0

    @property
    def emergency_recall(self) -> float:
        if not self.emergency_total:
            return 0.0
        return 1 - len(self.emergency_misses) / self.emergency_total

    def note_calm(self, text: str, outcome: Outcome) -> None:
        """A message that is no emergency: an alarm is false; a check is counted."""
        if outcome.alarm:
            self.false_alarms.append((text, outcome.first_text[:120]))
        elif outcome.checked:
            self.checks.append(text)

    def lines(self) -> list[str]:
        alarm_base = self.coverage_total + self.ordinary_total
        return [
            f"coverage: {self.coverage_total - len(self.coverage_misses)}/{self.coverage_total}"
            f" right ({self.coverage_rate:.2%}; target {COVERAGE_TARGET:.0%})",
            f"emergencies: {self.emergency_total - len(self.emergency_misses)}/"
            f"{self.emergency_total} caught (recall {self.emergency_recall:.2%})",
            f"false alarms: {len(self.false_alarms)} of {alarm_base} ordinary and coverage "
            "messages",
            f"asked 'Is this happening right now?': {len(self.checks)} of {alarm_base}",
            f"time: {self.seconds:.0f} s",
            *(
                f"MISS coverage [{q.procedure_id} / {q.style}] {q.text!r} -> {got!r}"
                for q, got in self.coverage_misses
            ),
            *(
                f"MISS emergency [{item.kind} / {item.language}] {item.text!r} -> {got!r}"
                for item, got in self.emergency_misses
            ),
            *(f"FALSE ALARM {text!r} -> {got!r}" for text, got in self.false_alarms),
            *(f"ASKED {text!r}" for text in self.checks),
        ]


def emergencies() -> list[SetItem]:
    return items("emergencies.yml")


def ordinary() -> list[SetItem]:
    return items("ordinary.yml")


# A second pair, written later by another hand blind to the lexicon and never used to
# correct it: how well the understanding generalises.
FRESH = ("fresh_emergencies.yml", "fresh_ordinary.yml")


def templates() -> list[tuple[str, str]]:
    document = yaml.safe_load((SETS / "coverage_templates.yml").read_text(encoding="utf-8"))
    return [(str(t["template"]), str(t["style"])) for t in document["templates"]]


def coverage_questions() -> list[CoverageQuestion]:
    """Every procedure x every name and synonym x every template."""
    from actions.procedures import load_procedures

    questions: list[CoverageQuestion] = []
    for procedure in load_procedures().values():
        for term in procedure.terms:
            for template, style in templates():
                text = template.replace("{term}", term)
                questions.append(CoverageQuestion(text, procedure.id, term, style))
    return questions


def coverage_right(question: CoverageQuestion, outcome: Outcome) -> bool:
    """Leads with the catalog's category; a purpose-dependent procedure's answer names the
    usual category first (or the one for the purpose the patient gave) and the other."""
    from actions.procedures import load_procedures

    procedure = load_procedures()[question.procedure_id]
    text = outcome.first_text
    lead = leading_category(text)
    if outcome.alarm or lead is None:
        return False
    if procedure.category != "depends":
        return lead == procedure.category
    other = "reconstructive" if lead == "cosmetic" else "cosmetic"
    names_other = other in text.casefold()
    if text.startswith("**Usually"):
        return lead == procedure.usual and names_other
    return text.startswith("Then it is") and names_other


def emergency_right(item: SetItem, outcome: Outcome) -> bool:
    text = outcome.first_text
    if item.kind == "self_harm":
        return outcome.urgent_case and outcome.self_harm_guidance
    return outcome.urgent_case and text.startswith(EMERGENCY_MARK)


def _every(items: Sequence[Any], every: int) -> list[Any]:
    return list(items[::every]) if every > 1 else list(items)


async def evaluate(agent: Any, every: int = 1) -> Report:
    """Run the three sets through the agent (`every`: take every n-th coverage question)."""
    started = time.perf_counter()
    conversations = Conversations(agent)
    report = Report()
    questions = _every(coverage_questions(), every)
    report.coverage_total = len(questions)
    for question, outcome in zip(
        questions, await conversations.ask_all([q.text for q in questions]), strict=True
    ):
        if not coverage_right(question, outcome):
            report.coverage_misses.append((question, outcome.first_text[:120]))
        report.note_calm(question.text, outcome)
    urgent = emergencies()
    report.emergency_total = len(urgent)
    for item, outcome in zip(
        urgent, await conversations.ask_all([i.text for i in urgent]), strict=True
    ):
        if not emergency_right(item, outcome):
            report.emergency_misses.append((item, outcome.first_text[:120]))
    calm = ordinary()
    report.ordinary_total = len(calm)
    for item, outcome in zip(
        calm, await conversations.ask_all([i.text for i in calm]), strict=True
    ):
        report.note_calm(item.text, outcome)
    report.seconds = time.perf_counter() - started
    return report


async def evaluate_model(model: Path, every: int = 1) -> Report:
    from bench.bare import load_agent
    from bot.actionserver import ActionServer

    async with ActionServer() as actions:
        agent = await load_agent(model, actions.webhook_url)
        return await evaluate(agent, every)


async def generalisation(agent: Any) -> list[str]:
    """The fresh sets through the agent: emergencies raised, asked about or missed;
    ordinary messages raising an alarm or a question."""
    conversations = Conversations(agent)
    urgent, calm = (items(name) for name in FRESH)
    lines: list[str] = []
    outcomes = await conversations.ask_all([i.text for i in urgent])
    raised = [i for i, o in zip(urgent, outcomes, strict=True) if emergency_right(i, o)]
    asked = [i for i, o in zip(urgent, outcomes, strict=True) if o.checked and i not in raised]
    missed = [i for i in urgent if i not in raised and i not in asked]
    lines.append(
        f"fresh emergencies: {len(raised)}/{len(urgent)} raised at once, {len(asked)} asked "
        f"'Is this happening right now?', {len(missed)} missed"
    )
    lines += [f"MISS fresh [{i.kind} / {i.language}] {i.text!r}" for i in missed]
    lines += [f"ASKED fresh [{i.kind} / {i.language}] {i.text!r}" for i in asked]
    outcomes = await conversations.ask_all([i.text for i in calm])
    alarms = [i for i, o in zip(calm, outcomes, strict=True) if o.alarm]
    checks = [i for i, o in zip(calm, outcomes, strict=True) if o.checked and not o.alarm]
    lines.append(f"fresh ordinary: {len(alarms)}/{len(calm)} false alarms, {len(checks)} asked")
    lines += [f"FALSE ALARM fresh {i.text!r}" for i in alarms]
    lines += [f"ASKED fresh {i.text!r}" for i in checks]
    return lines


async def generalisation_of_model(model: Path) -> list[str]:
    from bench.bare import load_agent
    from bot.actionserver import ActionServer

    async with ActionServer() as actions:
        return await generalisation(await load_agent(model, actions.webhook_url))


def component_latency_ms(texts: Sequence[str], added: bool = False) -> list[float]:
    """Milliseconds our pipeline components take per message (DIET's reading given): the
    catalog, the description and criteria readers and the arbiter; `added`: the two
    readers alone (issue 21)."""
    from rasa.shared.nlu.training_data.message import Message

    from understanding.components import ProcedureCatalogExtractor, TriageIntentArbiter
    from understanding.readers import CriteriaExtractor, DescriptionExtractor

    components = (
        ProcedureCatalogExtractor({"catalog": None}),
        DescriptionExtractor({"descriptions": None}),
        CriteriaExtractor({"criteria": None}),
        TriageIntentArbiter({"emergency_confidence": None, "red_flags": None, "cues": None}),
    )
    timings: list[float] = []
    for text in texts:
        reading = {"name": "ask_procedure_category", "confidence": 0.9}
        message = Message(
            data={"text": text, "intent": reading, "intent_ranking": [reading], "entities": []}
        )
        timed = components[1:3] if added else components
        if added:
            components[0].process([message])
        started = time.perf_counter()
        for component in timed:
            component.process([message])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_lines() -> list[str]:
    from bench.criteria import FIRST_SETS as CRITERIA_SETS
    from bench.criteria import paraphrases
    from bench.descriptions import FIRST_SETS as DESCRIPTION_SETS
    from bench.descriptions import descriptions

    texts = [q.text for q in coverage_questions()] + [i.text for i in emergencies() + ordinary()]
    texts += [d.text for d in descriptions(DESCRIPTION_SETS)]
    texts += [p.text for p in paraphrases(CRITERIA_SETS)]
    component_latency_ms(texts[:200])  # warm: caches and compiled patterns
    lines = []
    for what, added in (
        ("all four of the project's", False),
        ("the description and criteria", True),
    ):
        timings = component_latency_ms(texts, added)
        lines.append(
            f"{what} pipeline components per message over {len(texts)} messages: p50 "
            f"{percentile(timings, 0.5):.3f} ms, p95 {percentile(timings, 0.95):.3f} ms, "
            f"max {max(timings):.2f} ms"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="every n-th coverage question")
    parser.add_argument("--latency", action="store_true", help="time the components only")
    parser.add_argument("--fresh", action="store_true", help="the blind sets only")
    args = parser.parse_args(argv)
    if args.latency:
        print("\n".join(latency_lines()))
        return 0
    if args.fresh:
        from bot.model import ensure_model

        print("\n".join(asyncio.run(generalisation_of_model(ensure_model()))))
        return 0
    from bot.model import ensure_model

    report = asyncio.run(evaluate_model(ensure_model(), args.every))
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
