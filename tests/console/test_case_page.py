"""The console's page of one case: summary, transcript, notes, actions, consent, receipt.

Seeded as the case list's tests are (tests/console/seed.py).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from storage import Database, Repository
from storage.consent_texts import load_clauses
from storage.models import TranscriptMessage
from tests.console.conftest import STAFF_NAME, SignIn
from tests.console.seed import (
    OTHER_STAFF_ID,
    OTHER_STAFF_NAME,
    OTHER_USER,
    PATIENT_CHAT,
    PATIENT_USER,
    audit_rows,
    full_case,
    references,
    say,
    seed_case,
    signed_in,
)


async def test_case_page_shows_summary_and_criteria(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}")

    assert response.status_code == 200
    html = response.text
    assert f"<h1>Case {case.reference}" in html
    for text in ("Meera Shah", "Is the surgery risky?", "rhinoplasty", "Second opinion", "Urgent"):
        assert text in html
    assert "Your diagnosis is unclear" in html
    assert "Doctor mentions the following words: Rare, Life-Threatening or Risky" in html
    assert "lost confidence" not in html
    # What the assistant understood, and the patient's own words for a criterion met.
    assert "<dt>Understood</dt><dd>a nose job (rhinoplasty) after an injury</dd>" in html
    assert (
        '<li data-criterion="unclear_diagnosis">Your diagnosis is unclear: '
        '<q class="patient-words">nobody can say what it is</q></li>'
    ) in html
    assert "Criteria words" not in html


async def test_transcript_in_order_with_authors_and_media_as_references(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)

    html = (await client.get(f"/cases/{case.reference}")).text

    transcript = html[html.index('id="h-transcript"') : html.index('id="h-actions"')]
    order = [
        "Before the case opened",
        "Hello, I need help",
        "Hello! How can I help?",
        "Case opened",
        "[photo]",
        "I am looking at it",
        "Thank you",
    ]
    positions = [transcript.index(text) for text in order]
    assert positions == sorted(positions)
    assert "5 messages" in transcript
    assert f"<strong>{STAFF_NAME}</strong>" in transcript  # the staff reply's author
    assert "<strong>Meera Shah</strong>" in transcript
    assert "AgAD-FILE-ID" not in html  # the file itself is never referenced


async def test_messages_of_an_earlier_case_stay_with_it(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    first = await seed_case(repository, PATIENT_USER, "Meera Shah")
    await say(repository, first.patient_id, "patient", "about my knee", 1)
    await repository.close_case(first.id, staff_id)
    await say(repository, first.patient_id, "patient", "new question about my eye", 2)
    second = await seed_case(repository, PATIENT_USER, "Meera Shah")

    first_page = (await client.get(f"/cases/{first.reference}")).text
    second_page = (await client.get(f"/cases/{second.reference}")).text

    assert "about my knee" in first_page and "my eye" not in first_page
    assert "my eye" in second_page and "about my knee" not in second_page


async def test_staff_notes_are_marked(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await seed_case(repository, PATIENT_USER, "Meera Shah")
    await say(repository, case.patient_id, "patient", "my report is attached", 1)
    async with database.engine.connect() as connection:
        # A note as /note stores it (migration 0006 widened the author check for it).
        await connection.execute(
            sa.insert(TranscriptMessage).values(
                patient_id=case.patient_id,
                case_id=case.id,
                direction="out",
                author="note",
                text="Call the family tomorrow",
                chat_id=PATIENT_CHAT,
                staff_member_id=staff_id,
            )
        )
        await connection.commit()

    html = (await client.get(f"/cases/{case.reference}")).text

    note = re.search(r'<li class="msg note">(.*?)</li>', html, re.S)
    assert note is not None
    assert "Staff note" in note.group(1)
    assert "Call the family tomorrow" in note.group(1)
    assert STAFF_NAME in note.group(1)
    patient_line = re.search(r'<li class="msg patient">(.*?)</li>', html, re.S)
    assert patient_line is not None and "Staff note" not in patient_line.group(1)


async def test_staff_actions_from_the_audit_log(sign_in: SignIn, repository: Repository) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    other = await repository.upsert_staff(OTHER_STAFF_ID, OTHER_STAFF_NAME)
    case = await seed_case(repository, PATIENT_USER, "Meera Shah")
    unrelated = await seed_case(repository, OTHER_USER, "Kabir Das")
    await repository.claim_case(case.id, other.id)
    await repository.release_case(case.id, other.id)
    await repository.claim_case(case.id, staff_id)
    await repository.close_case(case.id, staff_id)
    await repository.claim_case(unrelated.id, other.id)

    html = (await client.get(f"/cases/{case.reference}")).text

    actions = html[html.index('id="h-actions"') : html.index('id="h-consent"')]
    rows = re.findall(r"<tr><td>.*?</td><td>(.*?)</td><td>(.*?)</td></tr>", actions)
    assert rows == [
        (OTHER_STAFF_NAME, "Took over the case"),
        (OTHER_STAFF_NAME, "Handed the case back to the bot"),
        (STAFF_NAME, "Took over the case"),
        (STAFF_NAME, "Closed the case"),
        (STAFF_NAME, "Viewed the case in the console"),
    ]


async def test_consent_decisions_with_clause_version_hash_and_time(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)
    first, second = load_clauses()[:2]

    html = (await client.get(f"/cases/{case.reference}")).text

    consent = html[html.index('id="h-consent"') :]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", consent)
    assert rows == [
        (first.id, str(first.version), "Agreed"),
        (second.id, str(second.version), "Did not agree"),
    ]
    assert first.sha256 in consent and second.sha256 in consent
    assert re.search(
        r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', consent
    )
    assert f'href="/cases/{case.reference}/receipt.pdf"' in html


async def test_viewing_a_case_is_audited(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await seed_case(repository, PATIENT_USER, "Meera Shah")

    await client.get(f"/cases/{case.reference}")
    await client.get(f"/cases/{case.reference}")

    views = await audit_rows(database, "console_view_case")
    assert [(row.actor_type, row.actor_id, row.target) for row in views] == [
        ("staff", str(staff_id), f"case:{case.id}")
    ] * 2


async def test_receipt_download_is_a_pdf_and_audited(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert f"consent-receipt-{case.reference}.pdf" in response.headers["content-disposition"]
    downloads = await audit_rows(database, "console_download_receipt")
    assert [(row.actor_id, row.target) for row in downloads] == [(str(staff_id), f"case:{case.id}")]


@pytest.mark.parametrize("reference", ["999999", "1000", "0", "abc", "1042x", "9" * 30, "%3Cb%3Ex"])
async def test_a_case_that_does_not_exist_is_a_404_page(
    sign_in: SignIn, repository: Repository, database: Database, reference: str
) -> None:
    client = await sign_in()
    await seed_case(repository, PATIENT_USER, "Meera Shah")

    page = await client.get(f"/cases/{reference}")
    receipt = await client.get(f"/cases/{reference}/receipt.pdf")

    assert page.status_code == 404
    assert "No such case" in page.text
    assert "<b>x" not in page.text
    assert '<a href="/cases">' in page.text
    assert receipt.status_code == 404
    assert await audit_rows(database, "console_view_case") == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_cases_and_consent_cannot_be_changed_through_the_console(
    sign_in: SignIn, repository: Repository, database: Database, method: str
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)
    # A valid CSRF token, so what refuses the request is the route, not the CSRF check.
    page = await client.get(f"/cases/{case.reference}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    data = {"csrf_token": token.group(1) if token else ""}
    headers = {"X-CSRF-Token": data["csrf_token"]}

    for path in (f"/cases/{case.reference}", f"/cases/{case.reference}/receipt.pdf", "/cases"):
        response = await client.request(method, path, data=data, headers=headers)
        assert response.status_code == 405, (path, response.status_code)
    assert len(await repository.consent_history_by_pseudonym(case.patient_pseudonym)) == 2


async def test_an_erased_patients_case_still_renders(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)
    await repository.erase_patient(PATIENT_USER)
    assert (await repository.get_case(case.id)).patient_id is None  # type: ignore[union-attr]

    listed = await client.get("/cases")
    page = await client.get(f"/cases/{case.reference}")
    receipt = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert references(listed.text) == [case.reference]
    assert page.status_code == 200
    assert "(erased)" in page.text
    assert "Meera Shah" not in page.text and "Meera Shah" not in listed.text
    assert "No messages are kept for this case." in page.text
    assert load_clauses()[0].sha256 in page.text  # the consent evidence outlives erasure
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


async def test_no_page_shows_a_patients_telegram_id(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    case = await full_case(repository, staff_id)
    await seed_case(repository, OTHER_USER, "Kabir Das")

    pages = [
        await client.get("/cases"),
        await client.get("/cases", params={"case": case.reference}),
        await client.get("/cases", params={"case": "nonsense"}),
        await client.get(f"/cases/{case.reference}"),
        await client.get("/cases/999999"),
        await client.get("/queue"),
    ]

    for response in pages:
        assert response.status_code in (200, 400, 404)
        for secret in (PATIENT_USER, PATIENT_CHAT, OTHER_USER):
            assert str(secret) not in response.text, response.url
    assert "Meera Shah" in pages[3].text  # the patient is named by display name instead
