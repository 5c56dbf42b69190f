"""Latency statistics: percentiles and the summary the report prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` (0-1) percentile with linear interpolation (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0 and 1, got {fraction}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    weight = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * weight


@dataclass(frozen=True)
class LatencySummary:
    """Reply latencies of one run, in seconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(latencies: Sequence[float]) -> LatencySummary:
    if not latencies:
        raise ValueError("no latencies to summarize")
    return LatencySummary(
        count=len(latencies),
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        mean=sum(latencies) / len(latencies),
        max=max(latencies),
    )


def throughput(count: int, started: float, finished: float) -> float:
    """Events per second over a window; zero for an empty or instantaneous window."""
    elapsed = finished - started
    return count / elapsed if elapsed > 0 and count > 0 else 0.0


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else None
