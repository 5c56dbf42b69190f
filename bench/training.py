"""How long `rasa train` takes for this project's data, into a throw-away directory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.model import MODEL_NAME
from bot.paths import ROOT


def time_training(log_path: Path) -> float:
    """Seconds for a full, cold `rasa train` (same arguments as bot/model.py)."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out, log_path.open("wb") as log:
        # An empty cache of its own, so nothing is reused from earlier trainings.
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(out) / "cache")}
        command = [
            sys.executable, "-m", "rasa", "train",
            "--config", "config.yml", "--domain", "domain.yml",
            "--data", "nlu", "stories",
            "--out", out, "--fixed-model-name", MODEL_NAME,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=log, stderr=log)
        return time.perf_counter() - started


def main() -> None:
    """`python -m bench.training`: time one cold training and print the seconds."""
    with tempfile.TemporaryDirectory(prefix="bench-train-log-") as folder:
        log = Path(folder) / "train.log"
        try:
            seconds = time_training(log)
        except subprocess.CalledProcessError:
            print(log.read_text()[-2000:], file=sys.stderr)
            raise
    print(f"rasa train: {seconds:.1f} s")


if __name__ == "__main__":
    main()
