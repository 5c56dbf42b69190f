"""Consent receipts rendered in a child process.

fpdf2 and fontTools are pure Python (about 10 ms of CPU per English receipt, 15 ms per
Hindi one, shaped by HarfBuzz: bench/README.md): on the bot's own process that time is taken
from every other patient's turn, since the GIL lets only one thread run Python. A child
process renders on another CPU.

The child belongs to the bot, not to the terminal: Ctrl-C reaches the whole foreground
process group, and a child that died of it would print its own KeyboardInterrupt and fail
the render in progress with BrokenProcessPool. So it ignores SIGINT, dies with the bot, and
stops only when `close()` says so; a render that `close()` cuts short is a task
interrupted, left pending for the next start.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess

from bot.outbox import TaskInterrupted
from storage.consent_texts import Clause
from storage.receipt import build_receipt_pdf
from storage.refs import ConsentRef
from translation import DEFAULT_LANGUAGE

# (reference, display name, records, clauses[, language]) -> PDF. The language is passed
# only when it is not English, so a draw written before Hindi (four arguments) still draws
# English receipts.
Draw = Callable[..., bytes]
# A child that died of one of these was stopped with the bot (systemd's SIGTERM goes to the
# whole service; a terminal's SIGHUP to its session): shutdown, not a failed render.
SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def _child_setup() -> None:
    """In the child: the terminal's Ctrl-C is for the bot, which stops the child itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        # Killed with the bot (even by SIGKILL), not left to print an EOFError on its queue.
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class ReceiptRenderer:
    """One child process, started on the first receipt and replaced if it dies."""

    def __init__(self, draw: Draw = build_receipt_pdf) -> None:
        # `draw` runs in the child, so it must be a module-level function (pickled by name).
        self._draw = draw
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    async def render(
        self,
        reference: str,
        display_name: str,
        records: Sequence[ConsentRef],
        clauses: Sequence[Clause],
        language: str = DEFAULT_LANGUAGE,
    ) -> bytes:
        """The receipt PDF in `language`; raises if the child died (the outbox task then runs
        again).

        After `close()`, or cut short by it, raises TaskInterrupted: shutdown, not a failure.
        """
        if self._closed:
            raise TaskInterrupted("the receipt renderer is closed")
        if self._pool is None:
            # spawn, not fork: this process has TensorFlow's and asyncio's threads running.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_child_setup
            )
        pool = self._pool
        loop = asyncio.get_running_loop()
        # The child that renders, or one that died since the last render (a broken pool
        # refuses the submit).
        children = _children(pool)
        arguments: tuple[object, ...] = (reference, display_name, list(records), list(clauses))
        if language != DEFAULT_LANGUAGE:
            arguments += (language,)
        try:
            future = loop.run_in_executor(pool, self._draw, *arguments)
            children = children or _children(pool)  # the first submit starts the child
            return await future
        except BrokenProcessPool:
            if self._closed:
                raise TaskInterrupted("the receipt renderer was closed mid-render") from None
            self._discard(pool)
            if await _stopped_by_signal(children):
                raise TaskInterrupted("the receipt child was stopped by a signal") from None
            raise
        except asyncio.CancelledError:
            # close() cancels queued renders; a cancelled caller is cancelled either way.
            if self._closed:
                raise TaskInterrupted("the receipt renderer was closed mid-render") from None
            raise

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool; the next render starts a new child."""
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the child now, even mid-render; nothing waits for it. Final."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # A render in progress is abandoned (its task stays pending), so shutting down
        # never waits on fontTools.
        children = _children(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        for child in children:
            child.kill()


def _children(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    """The pool's own record of its worker processes (no public API gives them)."""
    return list((getattr(pool, "_processes", None) or {}).values())


async def _stopped_by_signal(children: Sequence[BaseProcess], timeout: float = 1.0) -> bool:
    """Whether a dead child died of a shutdown signal.

    The pool's own thread reaps it, so its exit code may show a moment after the pool broke.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        codes = [child.exitcode for child in children]
        if any(code is not None and -code in SHUTDOWN_SIGNALS for code in codes):
            return True
        if all(code is not None for code in codes) or asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
