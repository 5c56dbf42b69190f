"""Shutdown during a receipt render: the terminal's Ctrl-C does not reach the child, nothing
prints a traceback, and a render cut short by shutdown leaves its outbox task pending for
the next start (issue 15, point 10)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.logs import JsonFormatter
from bot.outbox import Outbox, TaskInterrupted, task_payload
from bot.paths import ROOT
from bot.receipts import ReceiptRenderer
from storage import Database, migrate
from storage.consent_texts import Clause
from storage.durable import DurableStore
from storage.models import OutboxMessage
from storage.refs import ConsentRef

PATIENT = 5252
UPDATE_ID = 77


def slow_draw(flag: str, seconds: str, _records: list[ConsentRef], _clauses: list[Clause]) -> bytes:
    """A stand-in for the PDF drawing (runs in the child): says it started, then takes time."""
    Path(flag).write_text(str(os.getpid()))
    time.sleep(float(seconds))
    return b"%PDF-slow"


def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    """Until the child has started drawing (its first start imports fpdf2: a second or two)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the child never started drawing"
        time.sleep(0.02)


async def started(path: Path) -> None:
    await asyncio.to_thread(wait_for_file, path)


def child_pids(renderer: ReceiptRenderer) -> set[int]:
    pool = renderer._pool
    assert pool is not None
    return set(pool._processes)  # the pool's own record of its worker processes


@pytest.fixture
def renderer() -> Iterator[ReceiptRenderer]:
    renderer = ReceiptRenderer(draw=slow_draw)
    yield renderer
    renderer.close()


async def test_the_child_ignores_the_terminals_ctrl_c(
    renderer: ReceiptRenderer, tmp_path: Path
) -> None:
    assert await renderer.render(str(tmp_path / "a"), "0", [], []) == b"%PDF-slow"
    (child,) = child_pids(renderer)
    flag = tmp_path / "b"
    drawing = asyncio.create_task(renderer.render(str(flag), "0.5", [], []))
    await started(flag)
    os.kill(child, signal.SIGINT)
    assert await drawing == b"%PDF-slow", "the render in progress finished"
    assert await renderer.render(str(tmp_path / "c"), "0", [], []) == b"%PDF-slow"
    assert child_pids(renderer) == {child}, "the same child, never broken"


async def test_a_child_stopped_by_sigterm_mid_render_interrupts_the_task_and_is_replaced(
    renderer: ReceiptRenderer, tmp_path: Path
) -> None:
    """systemd stops a service with SIGTERM to every process in it, this child included."""
    flag = tmp_path / "flag"
    drawing = asyncio.create_task(renderer.render(str(flag), "30", [], []))
    await started(flag)
    (child,) = child_pids(renderer)
    os.kill(child, signal.SIGTERM)
    with pytest.raises(TaskInterrupted):
        await asyncio.wait_for(drawing, 10)
    # Not closed: were the bot going on, the next receipt gets a new child.
    assert await renderer.render(str(tmp_path / "next"), "0", [], []) == b"%PDF-slow"
    assert child not in child_pids(renderer)


async def test_after_close_a_render_is_a_task_interrupted(
    renderer: ReceiptRenderer, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    drawing = asyncio.create_task(renderer.render(str(flag), "30", [], []))
    await started(flag)
    (child,) = child_pids(renderer)
    renderer.close()
    with pytest.raises(TaskInterrupted):
        await asyncio.wait_for(drawing, 10)
    with pytest.raises(TaskInterrupted):
        await renderer.render(str(flag), "0", [], [])
    # The child is gone at once: shutting down never waits on a render.
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the child outlived close()")


SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    from bot.outbox import TaskInterrupted
    from bot.receipts import ReceiptRenderer
    from tests.gateway.test_receipt_shutdown import slow_draw, started

    async def main(tmp):
        stop = asyncio.Event()
        # As bot/__main__.py does: the bot itself takes Ctrl-C as "stop cleanly".
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
        renderer = ReceiptRenderer(draw=slow_draw)
        flag = tmp / "one"
        drawing = asyncio.create_task(renderer.render(str(flag), "1", [], []))
        await started(flag)
        os.killpg(os.getpgrp(), signal.SIGINT)  # the terminal's Ctrl-C: the whole group
        await stop.wait()
        assert await drawing == b"%PDF-slow"
        flag = tmp / "two"
        drawing = asyncio.create_task(renderer.render(str(flag), "30", [], []))
        await started(flag)
        renderer.close()  # what Runtime.stop does last
        try:
            await drawing
        except TaskInterrupted:
            print("interrupted")
        print("done")

    asyncio.run(main(Path(sys.argv[1])))
    """
)


def test_ctrl_c_to_the_whole_process_group_mid_render_prints_no_traceback(tmp_path: Path) -> None:
    """The terminal case, in a process group of its own (so pytest is not interrupted)."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert done.stdout.split() == ["interrupted", "done"], done.stderr
    assert done.returncode == 0, done.stderr
    for noise in ("Traceback", "KeyboardInterrupt", "BrokenProcessPool", "EOFError"):
        assert noise not in done.stderr, done.stderr


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.entries: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(json.loads(self.format(record)))


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    await asyncio.to_thread(migrate, url)
    yield url


def worker(
    store: DurableStore, renderer: ReceiptRenderer, rendered: list[bytes], seconds: str
) -> Outbox:
    """The outbox of one run of the bot, with a receipt task whose render takes `seconds`."""
    outbox = Outbox(None, store, None, None)  # type: ignore[arg-type]  # the task sends nothing

    async def receipt(arguments: dict[str, Any]) -> None:
        rendered.append(await renderer.render(arguments["flag"], seconds, [], []))

    outbox.register_task("consent_receipt", receipt)
    return outbox


async def row(database: Database, entry_id: int) -> Any:
    async with database.engine.connect() as connection:
        query = sa.select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
        return (await connection.execute(query.where(OutboxMessage.id == entry_id))).one()


async def test_a_render_cut_short_by_shutdown_leaves_its_task_pending_and_it_runs_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    database = Database(database_url)
    store = DurableStore(database)
    renderer = ReceiptRenderer(draw=slow_draw)
    rendered: list[bytes] = []
    outbox = worker(store, renderer, rendered, seconds="30")
    # A turn recorded its receipt task and delivery reached it.
    arguments = {"flag": str(flag)}
    (entry,) = await store.add_outgoing(
        UPDATE_ID, [(PATIENT, task_payload("consent_receipt", arguments))]
    )
    lines = Lines()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    try:
        delivering = asyncio.create_task(outbox.deliver(entry))
        await started(flag)
        renderer.close()  # shutdown
        assert await asyncio.wait_for(delivering, 10) is False
    finally:
        root.removeHandler(lines)
        root.setLevel(saved_level)
    # Then the turn finished as it does, the update marked processed; the bot stopped.
    await store.mark_processed(UPDATE_ID)
    status, attempts, last_error = await row(database, entry.id)
    assert (status, attempts, last_error) == ("pending", 1, "interrupted by shutdown")
    assert rendered == []
    assert not [e for e in lines.entries if e["level"] in ("ERROR", "CRITICAL")], lines.entries
    assert [e["event"] for e in lines.entries] == ["outbox task interrupted by shutdown; kept"]
    await database.dispose()

    # The next start: a new process, a new child; the redelivery loop's first pass runs it.
    database = Database(database_url)
    store = DurableStore(database)
    renderer = ReceiptRenderer(draw=slow_draw)
    outbox = worker(store, renderer, rendered, seconds="0")
    try:
        assert await outbox.deliver_pending() == 1
        assert rendered == [b"%PDF-slow"]
        assert (await row(database, entry.id))[0] == "sent"
    finally:
        renderer.close()
        await database.dispose()


async def test_the_redelivery_loop_stopped_mid_render_leaves_the_task_for_the_next_start(
    database_url: str, tmp_path: Path
) -> None:
    """Runtime.stop cancels the retry loop first: the task it was running is not touched."""
    flag = tmp_path / "flag"
    database = Database(database_url)
    store = DurableStore(database)
    renderer = ReceiptRenderer(draw=slow_draw)
    rendered: list[bytes] = []
    outbox = worker(store, renderer, rendered, seconds="30")
    arguments = {"flag": str(flag)}
    (entry,) = await store.add_outgoing(
        None, [(PATIENT, task_payload("consent_receipt", arguments))]
    )
    try:
        outbox.start_redelivery(interval=3600)
        await started(flag)
        await outbox.stop_redelivery()
    finally:
        renderer.close()
    assert (await row(database, entry.id))[:2] == ("pending", 0)
    assert [e.id for e in await store.pending_outgoing(retrying_only=True)] == [entry.id]
    await database.dispose()
