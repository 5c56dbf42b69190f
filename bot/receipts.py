"""Consent receipts rendered in a child process.

fpdf2 and fontTools are pure Python (about 40 ms of CPU per receipt, most of it parsing the
font): on the bot's own process that time is taken from every other patient's turn, since
the GIL lets only one thread run Python. A child process renders on another CPU.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from storage.consent_texts import Clause
from storage.receipt import build_receipt_pdf
from storage.refs import ConsentRef


class ReceiptRenderer:
    """One child process, started on the first receipt and replaced if it dies."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def render(
        self,
        reference: str,
        display_name: str,
        records: Sequence[ConsentRef],
        clauses: Sequence[Clause],
    ) -> bytes:
        """The receipt PDF; raises if the child died (the outbox task then runs again)."""
        if self._pool is None:
            # spawn, not fork: this process has TensorFlow's and asyncio's threads running.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._pool, build_receipt_pdf, reference, display_name, list(records), list(clauses)
            )
        except BrokenProcessPool:
            self.close()
            raise

    def close(self) -> None:
        """Stop the child, if any; nothing waits for it."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
