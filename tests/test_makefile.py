"""`make run` on a fresh machine: the virtualenv from python3.10 where there is one, else from
uv (which fetches a managed Python 3.10: Debian 12, Ubuntu 24.04 and macOS have no 3.10), else
one line saying what to install. Checked with `make -n` on a PATH holding only fakes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.paths import ROOT

MAKE = shutil.which("make")
# The Makefile also tries these absolute paths; where this machine has one, python3.10 cannot
# be made absent, so the test then narrows the search to PATH (the line's first candidate).
SYSTEM_PYTHONS = ("/usr/local/bin/python3.10", "/usr/bin/python3.10")


def dry_run(tmp_path: Path, tools: tuple[str, ...]) -> str:
    """What `make run` would do first in a fresh clone, with only `tools` on PATH."""
    if MAKE is None:
        pytest.skip("no make on this machine")
    clone, bin_dir, home = tmp_path / "clone", tmp_path / "bin", tmp_path / "home"
    for folder in (clone, bin_dir, home):
        folder.mkdir(parents=True)
    for name in ("pyproject.toml", "requirements.lock"):
        (clone / name).write_text("")
    for tool in tools:
        fake = bin_dir / tool
        # Every fake succeeds: python3.10 passes the Makefile's version check.
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(home), "PYENV_ROOT": str(home / "pyenv")}
    command = [MAKE, "-n", "-f", str(ROOT / "Makefile"), "run"]
    if any(os.path.exists(path) for path in SYSTEM_PYTHONS):
        command.append("PYTHON_CANDIDATES=python3.10")
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_python310_the_venv_comes_from_uv(tmp_path: Path) -> None:
    lines = dry_run(tmp_path, ("uv",)).splitlines()
    uv = tmp_path / "bin" / "uv"
    assert lines[0] == f"test -x .venv/bin/python || {uv} venv --seed --python 3.10 .venv"
    # uv's venv is seeded with pip, which installs from the lock as before.
    assert lines[1].startswith(".venv/bin/python -m pip install -q")
    assert "-c requirements.lock -e '.[dev]'" in lines[1]
    assert lines[-1] == ".venv/bin/python -m bot"


def test_with_python310_the_venv_comes_from_it(tmp_path: Path) -> None:
    for tools in (("python3.10",), ("python3.10", "uv")):
        shown = dry_run(tmp_path / "-".join(tools), tools)
        assert shown.splitlines()[0] == "test -x .venv/bin/python || python3.10 -m venv .venv"
        assert "uv" not in shown


def test_without_either_make_says_what_to_install(tmp_path: Path) -> None:
    first = dry_run(tmp_path, ()).splitlines()[0]
    assert first.startswith("test -x .venv/bin/python || { echo")
    assert "no python3.10 and no uv" in first
    assert "Python 3.10 on a fresh machine" in first
