"""The receipt renderer: another process draws the PDF, and a dead child is replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone

import pytest

from bot.receipts import ReceiptRenderer
from storage.consent_texts import load_clauses
from storage.receipt import build_receipt_pdf
from storage.refs import ConsentRef

DECIDED_AT = datetime(2026, 11, 21, 18, 5, tzinfo=timezone.utc)


@pytest.fixture
def renderer() -> Iterator[ReceiptRenderer]:
    renderer = ReceiptRenderer()
    yield renderer
    renderer.close()


def _records() -> list[ConsentRef]:
    return [
        ConsentRef(
            id=number,
            patient_pseudonym="p",
            case_id=42,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision="agreed",
            decided_at=DECIDED_AT,
            answered_message_id=100 + number,
        )
        for number, clause in enumerate(load_clauses())
    ]


def _child_pids(renderer: ReceiptRenderer) -> set[int]:
    pool = renderer._pool
    assert pool is not None
    return set(pool._processes)  # the pool's own record of its worker processes


async def test_the_pdf_is_drawn_in_another_process(renderer: ReceiptRenderer) -> None:
    pdf = await renderer.render("1042", "Asha R", _records(), load_clauses())
    assert pdf.startswith(b"%PDF")
    # The same document as drawing it here (apart from the creation time in it).
    assert len(pdf) == pytest.approx(
        len(build_receipt_pdf("1042", "Asha R", _records(), load_clauses())), rel=0.01
    )
    children = _child_pids(renderer)
    assert children and os.getpid() not in children


async def test_a_killed_child_fails_one_receipt_and_the_next_gets_a_new_child(
    renderer: ReceiptRenderer,
) -> None:
    await renderer.render("1042", "Asha R", _records(), load_clauses())
    (child,) = _child_pids(renderer)
    os.kill(child, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        await renderer.render("1042", "Asha R", _records(), load_clauses())
    pdf = await renderer.render("1042", "Asha R", _records(), load_clauses())
    assert pdf.startswith(b"%PDF")
    assert child not in _child_pids(renderer)
