"""`make run` without a token: the sandbox, driven at its terminal as a person would. The
terminal shows the chat only; logs and library warnings go to the log file (issue 15, 8)."""

from __future__ import annotations

import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import ConfigError, load_settings
from bot.model import ensure_model
from bot.paths import ROOT
from bot.sandbox import PATIENT_ID, STAFF_ID, USAGE, Screen, act


class Terminal:
    def __init__(self, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a person's shell: `python -m bot` sets it
        self.log_dir = tmp / "log"
        env.update(
            DATABASE_URL=f"sqlite:///{tmp / 'sandbox.db'}",
            LOG_LEVEL="INFO",
            LOG_DIR=str(self.log_dir),
            CONSOLE_LISTEN="127.0.0.1:0",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # A process group of its own, as a terminal gives it: Ctrl-C is sent to the group.
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.screen: list[str] = []
        # Everything the terminal showed, on stdout and on stderr.
        self.shown: list[str] = []
        self.errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_errors, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.shown.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line.rstrip("\n"))

    def finish(self) -> None:
        """After the process exited: every line it wrote has been read."""
        for reader in self._readers:
            reader.join(timeout=10)

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
        terminal.finish()
        assert_only_the_chat_on_the_terminal(terminal)
        assert_the_logs_in_the_log_file(terminal.log_dir / "sandbox.log")
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
            terminal.process.wait()


@pytest.mark.slow
def test_the_sandboxs_staff_member_signs_in_to_the_console(tmp_path: Path) -> None:
    """`staff: /console` prints the one-time sign-in link, which opens the console."""
    ensure_model()
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for("Sandbox: you are a patient", timeout=240)
        console = next(line for line in terminal.shown if line.startswith("Console: "))
        url = console.removeprefix("Console: ")
        assert any(line.lstrip().startswith("staff: /console") for line in terminal.shown)
        terminal.type("staff: /console")
        terminal.wait_for("[staff member's private chat] bot: Your sign-in link")
        link = terminal.wait_for("/signin?token=").strip()
        assert link.startswith(f"{url}/signin?token="), link
        with httpx.Client(timeout=30) as browser:
            signed_in = browser.get(link)
            assert signed_in.status_code == 303
            assert signed_in.headers["location"] == "/cases"
            cases = browser.get(f"{url}/cases")
            assert cases.status_code == 200
            assert "Ravi Kumar" in cases.text
        terminal.type("quit")
        assert terminal.process.wait(timeout=60) == 0
        terminal.finish()
        assert_only_the_chat_on_the_terminal(terminal)
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
            terminal.process.wait()


class RecordingEmulator:
    """What `act` asks of the emulator, for the routing of a typed line."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, dict[str, Any]]] = []

    async def send_user_message(self, user_id: int, text: str, **where: Any) -> None:
        self.sent.append((user_id, text, where))


async def test_staff_console_goes_to_the_staff_members_private_chat() -> None:
    """Not into the staff group, where /console is not answered: the terminal says how."""
    assert "staff: /console" in USAGE
    emulator, out = RecordingEmulator(), io.StringIO()
    screen = Screen(staff_chat_id=-100_1, out=out, staff_thread_id=5)
    await act("staff: /console", emulator, screen)  # type: ignore[arg-type]
    await act("staff: /close", emulator, screen)  # type: ignore[arg-type]
    assert emulator.sent == [
        (STAFF_ID, "/console", {}),
        (STAFF_ID, "/close", {"chat_id": -100_1, "thread_id": 5}),
    ]
    for chat_id, text in ((STAFF_ID, "Your sign-in link:\nhttp://x/signin"), (PATIENT_ID, "Hi")):
        record = {"chat_id": chat_id, "message_id": 1, "plain_text": text, "kind": "text"}
        screen.show({"type": "sent", "message": record})
    shown = out.getvalue().splitlines()
    assert shown[0] == "  [staff member's private chat] bot: Your sign-in link:"
    assert shown[1].strip() == "http://x/signin"
    assert shown[2] == "bot: Hi"


# A Python warning ("UserWarning:"), TensorFlow's C++ log, a traceback, a JSON log field.
@pytest.mark.slow
def test_ctrl_c_stops_the_sandbox_cleanly(tmp_path: Path) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C: no traceback anywhere."""
    ensure_model()
    terminal = Terminal(tmp_path)
    try:
        terminal.wait_for("Sandbox: you are a patient", timeout=240)
        terminal.type("/start")
        terminal.wait_for("bot: Hello, I'm the MediPocket assistant")
        os.killpg(terminal.process.pid, signal.SIGINT)
        assert terminal.process.wait(timeout=60) == 0
        terminal.finish()
        assert_only_the_chat_on_the_terminal(terminal)
        log = (terminal.log_dir / "sandbox.log").read_text()
        for noise in ("Traceback", "KeyboardInterrupt", "BrokenProcessPool"):
            assert noise not in log, f"{noise} in the log"
        assert '"event": "bot stopped"' in log
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
            terminal.process.wait()


NOT_FOR_THE_TERMINAL = re.compile(r"\w+Warning\b|tensorflow/|Traceback|\"level\":|\"logger\":")


def assert_only_the_chat_on_the_terminal(terminal: Terminal) -> None:
    """The chat, the usage, the log file's path once and the console's address; nothing else."""
    shown = terminal.shown
    assert terminal.errors == [], "stderr reached the terminal:\n" + "\n".join(terminal.errors)
    log_lines = [line for line in shown if line.startswith("Logs: ")]
    assert log_lines == [f"Logs: {terminal.log_dir / 'sandbox.log'}"], shown[:5]
    assert any(line.startswith("Console: http://127.0.0.1:") for line in shown), shown[:5]
    assert shown[-1] == "Sandbox stopped."
    for line in shown:
        assert not line.lstrip().startswith("{"), f"a log line on the terminal: {line}"
        assert not NOT_FOR_THE_TERMINAL.search(line), f"not chat, on the terminal: {line}"


def assert_the_logs_in_the_log_file(path: Path) -> None:
    """The JSON logs, and library warnings as log records, are in the file."""
    lines = path.read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    events = {entry["event"] for entry in entries}
    assert {"bot started", "bot stopped"} <= events
    # Rasa 3.6 warns about this domain's slot mappings on every load: a warning, captured.
    assert any(entry["logger"] == "py.warnings" for entry in entries)


def test_log_dir_is_a_directory_relative_to_the_repository(tmp_path: Path) -> None:
    assert load_settings({}).log_dir == ROOT / "var" / "log"
    assert load_settings({"LOG_DIR": str(tmp_path)}).log_dir == tmp_path
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError) as raised:
        load_settings({"LOG_DIR": str(tmp_path / "file")})
    assert raised.value.variable == "LOG_DIR"
