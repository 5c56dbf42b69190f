"""One check's result, shared by the Telegram checks (bot/check.py), the server's
(bot/check_server.py) and the start-up's (bot/preflight.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One check: `problem` None is ok; `permanent` False means it may pass on a retry."""

    name: str
    detail: str = ""
    problem: str | None = None
    permanent: bool = True
    warning: bool = False

    @property
    def failed(self) -> bool:
        return self.problem is not None and not self.warning

    def line(self) -> str:
        if self.problem is None:
            return f"ok    {self.name}: {self.detail}"
        return f"{'warn' if self.warning else 'FAIL'}  {self.name}: {self.problem}"
