"""Sample the bot process with py-spy (when installed) and summarise where the time goes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def py_spy() -> str | None:
    """py-spy next to this interpreter or on PATH; it is a measuring aid, not a dependency."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass(frozen=True)
class FrameShare:
    frame: str
    samples: int
    share: float  # of all samples


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    """py-spy's raw output: `frame;frame;... count` per line, outermost frame first."""
    stacks: list[tuple[list[str], int]] = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def top_frames(text: str, limit: int = 15, inclusive: bool = True) -> list[FrameShare]:
    """The frames most samples were in (inclusive: anywhere on the stack; else innermost)."""
    stacks = parse_collapsed(text)
    total = sum(count for _, count in stacks)
    counts: Counter[str] = Counter()
    for frames, count in stacks:
        if inclusive:
            for frame in set(frames):
                counts[frame] += count
        elif frames:
            counts[frames[-1]] += count
    return [
        FrameShare(frame, samples, samples / total if total else 0.0)
        for frame, samples in counts.most_common(limit)
    ]


class Sampler:
    """`py-spy record --pid` from start() until stop(); writes collapsed stacks to a file."""

    def __init__(self, pid: int, output: Path, rate: int = 50, idle: bool = False) -> None:
        self.pid = pid
        self.output = output
        self.rate = rate
        self.idle = idle
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> bool:
        binary = py_spy()
        if binary is None:
            return False
        command = [
            binary, "record", "--pid", str(self.pid), "--format", "raw", "--function",
            "--rate", str(self.rate), "--output", str(self.output), "--subprocesses",
        ]  # fmt: skip
        if self.idle:
            command += ["--idle", "--threads"]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return True

    def stop(self, timeout: float = 60.0) -> Path | None:
        """Ask py-spy to write its file (SIGINT) and wait for it."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        return self.output if self.output.exists() else None
