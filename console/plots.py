"""The reports' plots as PNG bytes, drawn with matplotlib's object API on the Agg canvas,
in a child process (`Plotter`).

No pyplot: each call builds, draws and drops its own Figure, with no global state.
Drawing takes 50-150 ms of CPU, mostly Python holding the GIL: in a thread of the bot's
process it held up the bot's event loop by up to 250 ms (`python -m bench.console`, loop
lag), so it runs in a child process, on another CPU, as consent receipts do
(bot/receipts.py).
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import TYPE_CHECKING, Any

from storage.report_queries import Funnel, Ratings, ReplyTimes, UrgencyDay

if TYPE_CHECKING:  # matplotlib itself is imported at the first plot, not at the bot's start
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Colours that keep 4.5:1 contrast on white and stay apart for colour-blind readers.
BLUE = "#0b57d0"
ORANGE = "#b35900"
RED = "#a30000"
GREY = "#4a4a4a"
SIZE = (8.0, 4.2)
DPI = 100


def _new_figure(left: float = 0.09, bottom: float = 0.2) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    # Fixed margins: tight_layout draws the whole figure once more to measure it.
    figure.subplots_adjust(left=left, right=0.97, bottom=bottom, top=0.9)
    return figure, figure.add_subplot()


def _bars(axes: Axes, heights: list[int], bottoms: list[int], color: str, label: str) -> None:
    """Vertical bars at 0..n-1 as one collection: `axes.bar` adds an artist per bar, which
    cost 0.3 s for 90 days' two series."""
    from matplotlib.collections import PolyCollection

    half = 0.4
    boxes = [
        [(x - half, b), (x - half, b + h), (x + half, b + h), (x + half, b)]
        for x, (h, b) in enumerate(zip(heights, bottoms, strict=True))
    ]
    axes.add_collection(PolyCollection(boxes, facecolors=color, edgecolors="none", label=label))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _day_labels(days: list[date]) -> tuple[list[int], list[str]]:
    """At most about ten ticks, so 90 days stay readable."""
    step = max(1, len(days) // 10)
    positions = list(range(0, len(days), step))
    return positions, [days[i].strftime("%d %b") for i in positions]


def funnel_png(funnel: Funnel) -> bytes:
    figure, axes = _new_figure(left=0.3, bottom=0.12)
    labels = [step.label for step in funnel.steps]
    counts = [step.patients for step in funnel.steps]
    positions = list(range(len(counts)))
    axes.barh(positions, counts, color=BLUE)
    axes.set_yticks(positions)
    axes.set_yticklabels(labels)
    axes.invert_yaxis()  # the first step on top
    started = counts[0] if counts else 0
    for position, count in zip(positions, counts, strict=True):
        share = f" ({count / started:.0%})" if started else ""
        axes.annotate(
            f"{count}{share}",
            (count, position),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            color=GREY,
        )
    axes.set_xlabel("patients")
    axes.set_xlim(0, max([*counts, 1]) * 1.2)
    axes.set_title("Funnel: patients reaching each step")
    return _png(figure)


def reply_times_png(times: ReplyTimes) -> bytes:
    figure, axes = _new_figure()
    days = [d.day for d in times.days if d.day is not None]
    positions = list(range(len(days)))
    median = [d.median_s / 60 if d.median_s is not None else float("nan") for d in times.days]
    p90 = [d.p90_s / 60 if d.p90_s is not None else float("nan") for d in times.days]
    axes.plot(positions, median, marker="o", color=BLUE, label="median")
    axes.plot(positions, p90, marker="s", linestyle="--", color=ORANGE, label="p90")
    ticks, labels = _day_labels(days)
    axes.set_xticks(ticks)
    axes.set_xticklabels(labels, rotation=45, ha="right")
    axes.set_ylabel("minutes to first staff reply")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left")
    axes.set_title("Time to first staff reply, by day the case opened")
    return _png(figure)


def cases_by_urgency_png(days: list[UrgencyDay]) -> bytes:
    figure, axes = _new_figure()
    normal = [d.counts.get("normal", 0) for d in days]
    urgent = [d.counts.get("urgent", 0) for d in days]
    _bars(axes, normal, [0] * len(days), BLUE, "normal")
    _bars(axes, urgent, normal, RED, "urgent")
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)
    axes.set_ylim(0, max([n + u for n, u in zip(normal, urgent, strict=True)] + [1]) * 1.1)
    ticks, labels = _day_labels([d.day for d in days])
    axes.set_xticks(ticks)
    axes.set_xticklabels(labels, rotation=45, ha="right")
    axes.set_ylabel("cases opened")
    axes.legend(loc="upper left")
    axes.set_title("Cases per day by urgency")
    return _png(figure)


def ratings_png(ratings: Ratings) -> bytes:
    figure, axes = _new_figure(bottom=0.13)
    scores = sorted(ratings.counts)
    counts = [ratings.counts[s] for s in scores]
    axes.bar(scores, counts, color=BLUE)
    for score, count in zip(scores, counts, strict=True):
        axes.annotate(
            str(count), (score, count), xytext=(0, 3), textcoords="offset points", ha="center"
        )
    axes.set_xticks(scores)
    axes.set_xlabel("rating")
    axes.set_ylabel("cases")
    axes.set_ylim(0, max([*counts, 1]) * 1.15)
    mean = ratings.mean
    title = f"Ratings: mean {mean:.2f} of {ratings.total}" if mean is not None else "Ratings: none"
    axes.set_title(title)
    return _png(figure)


# -- the child process ----------------------------------------------------------------


def _child_setup() -> None:
    """In the child: Ctrl-C is for the bot, and the child dies with it (even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _warm() -> None:
    """Import matplotlib in the child before the first plot is asked for (about a second)."""
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


class Plotter:
    """One child process that draws, started on first use and replaced if it dies."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the bot's process has TensorFlow's and asyncio's threads.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_child_setup
            )
        return self._pool

    def warm(self) -> None:
        """Start the child now: a page is shown and its plots will be asked for next."""
        pool = self._executor()
        try:
            pool.submit(_warm)
        except BrokenProcessPool:  # a child that died: the next plot starts another
            self._discard(pool)

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False)

    async def draw(self, draw: Callable[[Any], bytes], data: Any) -> bytes:
        """`draw(data)` in the child (`draw` is pickled by name: a function of this module).

        A child that died (killed, out of memory) is replaced once, for this plot.
        """
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return await loop.run_in_executor(pool, draw, data)
            except BrokenProcessPool:
                self._discard(pool)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
