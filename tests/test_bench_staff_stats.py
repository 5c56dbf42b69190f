"""bench.staff_stats keeps working: a tiny SQLite run prints both periods' figures."""

from __future__ import annotations

import pytest

from bench.staff_stats import main


def test_a_tiny_run_prints_both_periods(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", "sqlite", "--cases", "200", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "today:" in out and "7 days:" in out and "p95" in out
