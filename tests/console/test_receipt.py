"""The receipt download draws in the bot's receipt process when the context has one.

The thread fallback (no renderer, as in the other page tests) is covered by
test_case_page.test_receipt_download_is_a_pdf_and_audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.receipts import ReceiptRenderer
from console.context import ConsoleContext
from storage import Database, Repository
from storage.consent_texts import Clause
from storage.receipt import build_receipt_pdf
from storage.refs import ConsentRef
from tests.console.conftest import SignIn
from tests.console.seed import audit_rows, full_case, signed_in

pytestmark = pytest.mark.asyncio


async def test_the_download_is_drawn_by_the_renderer_not_here(
    sign_in: SignIn,
    repository: Repository,
    database: Database,
    context: ConsoleContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[tuple[str, int]] = []

    async def render(
        reference: str,
        name: str,
        records: Sequence[ConsentRef],
        clauses: Sequence[Clause],
        language: str,
    ) -> bytes:
        drawn.append((reference, len(records)))
        return build_receipt_pdf(reference, name, list(records), list(clauses), language)

    async def no_thread(*args: object, **kwargs: object) -> object:
        raise AssertionError("the receipt was drawn in a thread of the bot's process")

    context.render_receipt = render
    monkeypatch.setattr("console.pages.case.asyncio.to_thread", no_thread)
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert drawn and drawn[0][0] == case.reference and drawn[0][1] > 0
    assert len(await audit_rows(database, "console_download_receipt")) == 1


async def test_the_bots_receipt_process_draws_the_download(
    sign_in: SignIn, repository: Repository, database: Database, context: ConsoleContext
) -> None:
    """The real ReceiptRenderer (a spawned child), as console/wiring.py hands it over."""
    renderer = ReceiptRenderer()
    context.render_receipt = renderer.render
    try:
        client, staff_id = await signed_in(sign_in, repository)
        case = await full_case(repository, staff_id)
        response = await client.get(f"/cases/{case.reference}/receipt.pdf", timeout=60)
    finally:
        renderer.close()
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert len(await audit_rows(database, "console_download_receipt")) == 1


async def test_a_dead_receipt_process_is_a_503_not_a_crash(
    sign_in: SignIn, repository: Repository, database: Database, context: ConsoleContext
) -> None:
    async def broken(*args: object) -> bytes:
        raise BrokenProcessPool("the child died")

    context.render_receipt = broken
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert response.status_code == 503 and "try again" in response.text
    assert await audit_rows(database, "console_download_receipt") == []
