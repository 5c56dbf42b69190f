"""Train the Rasa model when its training data or config changed; reuse it otherwise.

`python -m bot.model` is what `make run`, `make train` and `make test` call.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import subprocess
import sys
import time
from pathlib import Path

from bot.paths import MODELS, ROOT

log = logging.getLogger(__name__)
MODEL_NAME = "triage"
TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu", "stories")


def model_path(models_dir: Path = MODELS) -> Path:
    return models_dir / f"{MODEL_NAME}.tar.gz"


def training_fingerprint(root: Path = ROOT) -> str:
    """A hash of every file the model is trained from, so any edit triggers training."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def ensure_model(root: Path = ROOT, models_dir: Path = MODELS) -> Path:
    """Return an up-to-date model, training one only when the inputs changed.

    A lock file serialises processes that start at once (make run beside make test):
    one trains, the others then find the model current.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    with (models_dir / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_model(root, models_dir)


def _ensure_model(root: Path, models_dir: Path) -> Path:
    target = model_path(models_dir)
    stamp = models_dir / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(root)
    if target.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        log.info("model up to date: %s", target.name)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "nlu",
        "stories",
        "--out",
        str(models_dir),
        "--fixed-model-name",
        MODEL_NAME,
    ]
    log.info("training the Rasa model (data or config changed)")
    subprocess.run(command, cwd=root, check=True)
    stamp.write_text(fingerprint + "\n")
    log.info("trained in %.0f s", time.monotonic() - started)
    return target


def main() -> None:
    """Train if needed and print where the model is."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        print(ensure_model())
    except subprocess.CalledProcessError as exc:
        print(f"error: rasa train failed with exit code {exc.returncode}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
