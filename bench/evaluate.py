"""Evaluate the dialogue model's understanding: the independent sets, held-out test set,
5-fold cross-validation, training time.

    python -m bench.evaluate [--folds 5] [--skip-training-time] [--skip-sets]

Prints, with every miss, the independent sets of bench/understanding.py (every catalog
procedure x synonym x template, the emergencies, the ordinary messages) run through the
trained model and the real actions, and the added components' time per message; the
description, specialist and criteria sets (bench/descriptions.py, bench/criteria.py); then the
intent macro-F1 of the held-out set (tests/nlu/heldout.yml, never used for training) and
of cross-validation over nlu/, and how long a full `rasa train` takes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "triage.tar.gz"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
# Library deprecation chatter only; Rasa's own UserWarnings stay visible.
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
}


@dataclass(frozen=True)
class RasaRun:
    returncode: int
    output: str
    seconds: float


def rasa(*args: str, cwd: Path = ROOT) -> RasaRun:
    """Run the Rasa CLI of this interpreter's environment."""
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=cwd,
        env={**os.environ, **QUIET_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    return RasaRun(
        completed.returncode, completed.stdout + completed.stderr, time.monotonic() - started
    )


def intent_macro_f1(results_dir: Path) -> float:
    report = json.loads((results_dir / "intent_report.json").read_text(encoding="utf-8"))
    return float(report["macro avg"]["f1-score"])


def _checked(run: RasaRun, what: str) -> RasaRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {run.returncode}):\n{run.output[-3000:]}")
    return run


def heldout_f1(model: Path, out: Path, heldout: Path = HELDOUT) -> float:
    """Intent macro-F1 of the trained model on the held-out examples."""
    _checked(
        rasa("test", "nlu", "--model", str(model), "--nlu", str(heldout), "--out", str(out)),
        "rasa test nlu (held-out)",
    )
    return intent_macro_f1(out)


def cross_validation_f1(out: Path, folds: int = 5) -> float:
    """Intent macro-F1 over the test folds of k-fold cross-validation on nlu/."""
    _checked(
        rasa(
            "test", "nlu", "--nlu", "nlu", "--config", "config.yml",
            "--cross-validation", "--folds", str(folds), "--out", str(out),
        ),
        "rasa test nlu --cross-validation",
    )
    return intent_macro_f1(out)


def training_seconds(out: Path) -> float:
    """Wall time of a full `rasa train` (NLU and core) from scratch."""
    run = _checked(
        rasa(
            "train", "--config", "config.yml", "--domain", "domain.yml",
            "--data", "nlu", "stories", "--out", str(out), "--force",
        ),
        "rasa train",
    )
    return run.seconds


def ensure_model() -> Path:
    """The model the gateway uses (trained first if missing or out of date)."""
    from bot.model import ensure_model as ensure

    return ensure()


async def described_and_criteria() -> list[str]:
    """The description, specialist and criteria sets, the first and the second blind pair
    (bench/descriptions.py, bench/criteria.py), every miss printed."""
    from typing import Any

    from bench import criteria, descriptions
    from bench.conversations import with_agent

    async def run(agent: Any) -> list[str]:
        return [
            *await descriptions.measure(
                agent, descriptions.FIRST_SETS, descriptions.SPECIALIST_SETS, "descriptions"
            ),
            *await descriptions.measure(
                agent,
                descriptions.SECOND_SETS,
                descriptions.SECOND_SPECIALIST_SETS,
                "second descriptions",
            ),
            *await criteria.measure(agent, criteria.FIRST_SETS, "criteria"),
            *await criteria.measure(agent, criteria.SECOND_SETS, "second criteria"),
        ]

    return list(await with_agent(run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-training-time", action="store_true")
    parser.add_argument("--skip-sets", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_sets:
        import asyncio

        from bench.understanding import evaluate_model, latency_lines

        report = asyncio.run(evaluate_model(ensure_model()))
        print("\n".join([*report.lines(), *latency_lines()]), flush=True)
        print("\n".join(asyncio.run(described_and_criteria())), flush=True)
    with tempfile.TemporaryDirectory(prefix="evaluate-") as tmp:
        scratch = Path(tmp)
        if not args.skip_training_time:
            seconds = training_seconds(scratch / "train")
            print(f"full rasa train: {seconds:.0f} s")
        if HELDOUT.exists():
            f1 = heldout_f1(ensure_model(), scratch / "heldout")
            print(f"held-out intent macro-F1: {f1:.3f}")
        else:
            print(f"held-out intent macro-F1: skipped ({HELDOUT} does not exist)")
        cv = cross_validation_f1(scratch / "cv", folds=args.folds)
        print(f"{args.folds}-fold cross-validation intent macro-F1: {cv:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
