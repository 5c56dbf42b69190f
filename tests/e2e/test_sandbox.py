"""`make run` without a token: the sandbox, driven at its terminal as a person would."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.model import ensure_model
from bot.paths import ROOT


class Terminal:
    def __init__(self, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.update(DATABASE_URL=f"sqlite:///{tmp / 'sandbox.db'}", LOG_LEVEL="WARNING")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.screen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.screen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never shown; screen:\n" + "\n".join(self.screen[-20:]))


@pytest.mark.slow
def test_a_person_plays_patient_and_staff_at_the_terminal(tmp_path: Path) -> None:
    ensure_model()
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for("Sandbox: you are a patient", timeout=240)
        terminal.type("/start")
        terminal.wait_for("bot: Hello, I'm the MediPocket assistant")
        terminal.wait_for("[1] Plastic or cosmetic?")
        terminal.type("I want to talk to a person")
        terminal.wait_for("[staff group, topic")
        terminal.wait_for("[1] Take over")
        terminal.type("staff: #1")
        terminal.wait_for("has joined the conversation")
        terminal.type("staff: Hello, this is Ravi from the care team")
        terminal.wait_for("Hello, this is Ravi from the care team")
        terminal.type("quit")
        assert terminal.process.wait(timeout=60) == 0
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
            terminal.process.wait()
