"""The console's pages: the case list (filters, search, paging), one case, its receipt, the queue.

Data is seeded through the Repository, as the bot writes it; a staff member signs in by a
real one-time link (the conftest's sign_in).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from console.pages import duration
from storage import Database, Repository
from storage.consent_texts import load_clauses
from storage.models import AuditEvent, Case, TranscriptMessage
from storage.refs import CaseRef
from tests.console.conftest import STAFF_ID, STAFF_NAME, SignIn

# Distinctive numbers: a page that leaked one would be caught by a plain substring test.
PATIENT_USER = 7_340_115_286
PATIENT_CHAT = 7_340_115_286
OTHER_USER = 6_120_884_913
OTHER_STAFF_ID = 900_000_002
OTHER_STAFF_NAME = "Asha Nurse"


async def _case(
    repository: Repository,
    user_id: int,
    name: str,
    *,
    urgency: str = "normal",
    reason: str = "second_opinion",
    summary: dict | None = None,
) -> CaseRef:
    patient = await repository.upsert_patient(user_id, user_id, name, "en")
    return await repository.open_case(
        patient_id=patient.id,
        reason=reason,
        urgency=urgency,
        summary=summary if summary is not None else {"asked": "is it risky"},
    )


async def _say(
    repository: Repository,
    patient_id: int,
    author: str,
    text: str | None,
    message_id: int,
    **extra: object,
) -> int:
    return await repository.record_message(
        patient_id=patient_id,
        direction="in" if author == "patient" else "out",
        author=author,  # type: ignore[arg-type]
        text=text,
        chat_id=PATIENT_CHAT,
        telegram_message_id=message_id,
        **extra,  # type: ignore[arg-type]
    )


async def _signed_in(sign_in: SignIn, repository: Repository) -> tuple[httpx.AsyncClient, int]:
    """The signed-in client and the staff member's id (the same row sign-in uses)."""
    client = await sign_in()
    staff = await repository.upsert_staff(STAFF_ID, STAFF_NAME)
    return client, staff.id


def _references(html: str) -> list[str]:
    """Case references in the order the list shows them."""
    return re.findall(r'<th scope="row"><a href="/cases/(\d+)">', html)


async def _set_opened(database: Database, case_id: int, when: datetime) -> None:
    # The repository stamps opened_at with the current time; tests of the date filter need
    # cases opened on other days.
    async with database.session() as session, session.begin():
        await session.execute(sa.update(Case).where(Case.id == case_id).values(opened_at=when))


async def _audit_rows(database: Database, action: str) -> list[AuditEvent]:
    async with database.session() as session:
        rows = await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return list(rows)


# -- the case list ----------------------------------------------------------------------


async def test_root_redirects_to_the_case_list(sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/cases")


async def test_case_list_shows_each_case_newest_first(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    first = await _case(repository, PATIENT_USER, "Meera Shah")
    second = await _case(repository, OTHER_USER, "Kabir Das", urgency="urgent", reason="emergency")
    await repository.claim_case(first.id, staff_id)

    response = await client.get("/cases")

    assert response.status_code == 200
    html = response.text
    assert _references(html) == [second.reference, first.reference]
    assert first.reference == str(first.id + 1000)
    for text in ("Meera Shah", "Kabir Das", "With staff", "Waiting", "Emergency", STAFF_NAME):
        assert text in html
    assert '<span class="urgent">Urgent</span>' in html
    assert "2 cases." in html


async def test_every_filter_has_a_label(sign_in: SignIn) -> None:
    client = await sign_in()
    html = (await client.get("/cases")).text
    for name in ("case", "status", "urgency", "staff", "from", "to"):
        field = re.search(rf'<(?:input|select) id="([^"]+)" name="{name}"', html)
        assert field is not None, name
        assert f'<label for="{field.group(1)}">' in html


async def test_filter_by_status_and_urgency(sign_in: SignIn, repository: Repository) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    waiting = await _case(repository, PATIENT_USER, "Meera Shah", urgency="urgent")
    held = await _case(repository, OTHER_USER, "Kabir Das")
    await repository.claim_case(held.id, staff_id)

    queued = await client.get("/cases", params={"status": "queued"})
    with_staff = await client.get("/cases", params={"status": "with_staff"})
    urgent = await client.get("/cases", params={"urgency": "urgent"})
    normal_closed = await client.get("/cases", params={"urgency": "normal", "status": "closed"})

    assert _references(queued.text) == [waiting.reference]
    assert _references(with_staff.text) == [held.reference]
    assert _references(urgent.text) == [waiting.reference]
    assert _references(normal_closed.text) == []
    assert "No case matches these filters." in normal_closed.text
    assert '<option value="queued" selected>' in queued.text


async def test_filter_by_staff_member_who_holds_or_held_the_case(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    other = await repository.upsert_staff(OTHER_STAFF_ID, OTHER_STAFF_NAME)
    holds = await _case(repository, PATIENT_USER, "Meera Shah")
    held = await _case(repository, OTHER_USER, "Kabir Das")
    someone_elses = await _case(repository, 5_550_001, "Ila Sen")
    await repository.claim_case(holds.id, staff_id)
    await repository.claim_case(held.id, staff_id)
    await repository.release_case(held.id, staff_id)  # the holder is cleared; the claim stays
    await repository.claim_case(someone_elses.id, other.id)

    mine = await client.get("/cases", params={"staff": str(staff_id)})
    theirs = await client.get("/cases", params={"staff": str(other.id)})

    assert sorted(_references(mine.text)) == sorted([holds.reference, held.reference])
    assert _references(theirs.text) == [someone_elses.reference]
    assert f'<option value="{other.id}">{OTHER_STAFF_NAME}</option>' in mine.text


async def test_filter_by_the_day_opened(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client = await sign_in()
    old = await _case(repository, PATIENT_USER, "Meera Shah")
    mid = await _case(repository, OTHER_USER, "Kabir Das")
    new = await _case(repository, 5_550_001, "Ila Sen")
    await _set_opened(database, old.id, datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc))
    await _set_opened(database, mid.id, datetime(2026, 11, 15, 23, 59, tzinfo=timezone.utc))
    await _set_opened(database, new.id, datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc))

    from_mid = await client.get("/cases", params={"from": "2026-11-15"})
    to_mid = await client.get("/cases", params={"to": "2026-11-15"})
    only_mid = await client.get("/cases", params={"from": "2026-11-15", "to": "2026-11-15"})

    assert _references(from_mid.text) == [new.reference, mid.reference]
    assert _references(to_mid.text) == [mid.reference, old.reference]  # the "to" day included
    assert _references(only_mid.text) == [mid.reference]
    assert 'value="2026-11-15"' in only_mid.text


async def test_search_by_case_number(sign_in: SignIn, repository: Repository) -> None:
    client = await sign_in()
    wanted = await _case(repository, PATIENT_USER, "Meera Shah")
    await _case(repository, OTHER_USER, "Kabir Das")

    found = await client.get("/cases", params={"case": wanted.reference})
    with_hash = await client.get("/cases", params={"case": f" #{wanted.reference} "})
    missing = await client.get("/cases", params={"case": "999999"})
    impossible = await client.get("/cases", params={"case": "9" * 40})

    assert _references(found.text) == [wanted.reference]
    assert _references(with_hash.text) == [wanted.reference]
    for response in (missing, impossible):
        assert response.status_code == 200
        assert _references(response.text) == []
        assert "0 cases." in response.text


async def test_the_list_is_paged_by_fifty(sign_in: SignIn, repository: Repository) -> None:
    client = await sign_in()
    cases = [await _case(repository, 5_000_000 + n, f"Patient {n}") for n in range(51)]

    first = await client.get("/cases")
    second = await client.get("/cases", params={"page": "2", "status": "queued"})

    assert len(_references(first.text)) == 50
    assert "page 1 of 2" in first.text
    assert 'href="/cases?page=2" rel="next"' in first.text
    assert _references(second.text) == [cases[0].reference]  # the oldest, on the last page
    assert 'href="/cases?status=queued&amp;page=1" rel="prev"' in second.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"case": "abc"}, "The case number must be a number"),
        ({"case": "10.5"}, "The case number must be a number"),
        ({"case": "١٠٤٢"}, "The case number must be a number"),  # digits, but not ASCII ones
        ({"status": "open"}, "Unknown status"),
        ({"urgency": "very"}, "Unknown urgency"),
        ({"staff": "nobody"}, "Unknown staff member"),
        ({"staff": "424242"}, "Unknown staff member"),
        ({"from": "2026-13-45"}, "Opened from must be a date"),
        ({"to": "yesterday"}, "Opened to must be a date"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "must not be after"),
        ({"page": "0"}, "The page must be a number"),
        ({"page": "-1"}, "The page must be a number"),
        ({"page": "9" * 30}, "The page must be a number"),
    ],
)
async def test_bad_filter_values_are_explained_not_a_server_error(
    sign_in: SignIn, repository: Repository, params: dict[str, str], message: str
) -> None:
    client = await sign_in()
    await _case(repository, PATIENT_USER, "Meera Shah")

    response = await client.get("/cases", params=params)

    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert _references(response.text) == []
    invalid = re.findall(r'name="(\w+)" aria-invalid="true"', response.text)
    # The field at fault is marked (the page number has no field of its own).
    assert set(invalid) <= set(params) and (invalid or set(params) == {"page"})


@pytest.mark.parametrize(
    "typed",
    [
        "1001 OR 1=1",
        "1001' OR '1'='1",
        "1001; DROP TABLE cases; --",
        "' UNION SELECT telegram_user_id FROM patients --",
    ],
)
async def test_sql_in_the_search_box_is_inert(
    sign_in: SignIn, repository: Repository, database: Database, typed: str
) -> None:
    client = await sign_in()
    case = await _case(repository, PATIENT_USER, "Meera Shah")

    response = await client.get("/cases", params={"case": typed, "status": typed})

    assert response.status_code == 400
    assert "The case number must be a number" in response.text
    assert str(PATIENT_USER) not in response.text
    assert _references(response.text) == []
    async with database.session() as session:  # the table is still there, untouched
        assert await session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    assert _references((await client.get("/cases")).text) == [case.reference]


async def test_html_in_the_search_box_and_in_names_is_escaped(
    sign_in: SignIn, repository: Repository
) -> None:
    client = await sign_in()
    case = await _case(repository, PATIENT_USER, '<img src=x onerror="alert(1)">')
    script = "<script>alert('x')</script>"
    await _say(repository, case.patient_id, "patient", f"hello {script} & bye", 1)
    await _say(repository, case.patient_id, "patient", None, 2, media_type="<i>photo</i>")

    searched = await client.get("/cases", params={"case": script, "from": '"><b>bold</b>'})
    listed = await client.get("/cases")
    page = await client.get(f"/cases/{case.reference}")

    assert "<script>alert" not in searched.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in searched.text
    assert "<b>bold</b>" not in searched.text
    for response in (listed, page):
        assert "<img src=x" not in response.text
        assert "&lt;img src=x onerror=" in response.text
    assert "<script>" not in page.text and "<i>photo" not in page.text
    assert "hello &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; bye" in page.text
    assert "[&lt;i&gt;photo&lt;/i&gt;]" in page.text


# -- one case ---------------------------------------------------------------------------


async def _full_case(repository: Repository, staff_id: int) -> CaseRef:
    """A conversation, a handoff, a photo, a staff reply and consent decisions."""
    patient = await repository.upsert_patient(PATIENT_USER, PATIENT_CHAT, "Meera Shah", "en")
    await _say(repository, patient.id, "patient", "Hello, I need help", 501)
    await _say(repository, patient.id, "bot", "Hello! How can I help?", 502)
    case = await repository.open_case(
        patient_id=patient.id,
        reason="second_opinion",
        urgency="urgent",
        summary={
            "asked": "Is the surgery risky?",
            "criteria_met": ["unclear_diagnosis", "doctor_warned"],
            "language": "en",
            "procedure": "rhinoplasty",
        },
    )
    await _say(
        repository, patient.id, "patient", None, 503, media_type="photo", file_id="AgAD-FILE-ID"
    )
    await repository.claim_case(case.id, staff_id)
    await _say(repository, patient.id, "staff", "I am looking at it", 504, staff_member_id=staff_id)
    await _say(repository, patient.id, "patient", "Thank you", 505)
    for clause, decision in zip(load_clauses()[:2], ("agreed", "refused"), strict=True):
        await repository.record_consent(
            patient_id=patient.id,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision=decision,
            answered_message_id=600,
            case_id=case.id,
        )
    return case


async def test_case_page_shows_summary_and_criteria(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}")

    assert response.status_code == 200
    html = response.text
    assert f"<h1>Case {case.reference}" in html
    for text in ("Meera Shah", "Is the surgery risky?", "rhinoplasty", "Second opinion", "Urgent"):
        assert text in html
    assert "Your diagnosis is unclear" in html
    assert "Doctor mentions the following words: Rare, Life-Threatening or Risky" in html
    assert "lost confidence" not in html


async def test_transcript_in_order_with_authors_and_media_as_references(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)

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
    client, staff_id = await _signed_in(sign_in, repository)
    first = await _case(repository, PATIENT_USER, "Meera Shah")
    await _say(repository, first.patient_id, "patient", "about my knee", 1)
    await repository.close_case(first.id, staff_id)
    await _say(repository, first.patient_id, "patient", "new question about my eye", 2)
    second = await _case(repository, PATIENT_USER, "Meera Shah")

    first_page = (await client.get(f"/cases/{first.reference}")).text
    second_page = (await client.get(f"/cases/{second.reference}")).text

    assert "about my knee" in first_page and "my eye" not in first_page
    assert "my eye" in second_page and "about my knee" not in second_page


async def test_staff_notes_are_marked(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _case(repository, PATIENT_USER, "Meera Shah")
    await _say(repository, case.patient_id, "patient", "my report is attached", 1)
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
    client, staff_id = await _signed_in(sign_in, repository)
    other = await repository.upsert_staff(OTHER_STAFF_ID, OTHER_STAFF_NAME)
    case = await _case(repository, PATIENT_USER, "Meera Shah")
    unrelated = await _case(repository, OTHER_USER, "Kabir Das")
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
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)
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
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _case(repository, PATIENT_USER, "Meera Shah")

    await client.get(f"/cases/{case.reference}")
    await client.get(f"/cases/{case.reference}")

    views = await _audit_rows(database, "console_view_case")
    assert [(row.actor_type, row.actor_id, row.target) for row in views] == [
        ("staff", str(staff_id), f"case:{case.id}")
    ] * 2


async def test_receipt_download_is_a_pdf_and_audited(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)

    response = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert f"consent-receipt-{case.reference}.pdf" in response.headers["content-disposition"]
    downloads = await _audit_rows(database, "console_download_receipt")
    assert [(row.actor_id, row.target) for row in downloads] == [(str(staff_id), f"case:{case.id}")]


@pytest.mark.parametrize("reference", ["999999", "1000", "0", "abc", "1042x", "9" * 30, "%3Cb%3Ex"])
async def test_a_case_that_does_not_exist_is_a_404_page(
    sign_in: SignIn, repository: Repository, database: Database, reference: str
) -> None:
    client = await sign_in()
    await _case(repository, PATIENT_USER, "Meera Shah")

    page = await client.get(f"/cases/{reference}")
    receipt = await client.get(f"/cases/{reference}/receipt.pdf")

    assert page.status_code == 404
    assert "No such case" in page.text
    assert "<b>x" not in page.text
    assert '<a href="/cases">' in page.text
    assert receipt.status_code == 404
    assert await _audit_rows(database, "console_view_case") == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_cases_and_consent_cannot_be_changed_through_the_console(
    sign_in: SignIn, repository: Repository, database: Database, method: str
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)
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
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)
    await repository.erase_patient(PATIENT_USER)
    assert (await repository.get_case(case.id)).patient_id is None  # type: ignore[union-attr]

    listed = await client.get("/cases")
    page = await client.get(f"/cases/{case.reference}")
    receipt = await client.get(f"/cases/{case.reference}/receipt.pdf")

    assert _references(listed.text) == [case.reference]
    assert page.status_code == 200
    assert "(erased)" in page.text
    assert "Meera Shah" not in page.text and "Meera Shah" not in listed.text
    assert "No messages are kept for this case." in page.text
    assert load_clauses()[0].sha256 in page.text  # the consent evidence outlives erasure
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


async def test_no_page_shows_a_patients_telegram_id(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    case = await _full_case(repository, staff_id)
    await _case(repository, OTHER_USER, "Kabir Das")

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


# -- the queue --------------------------------------------------------------------------


async def test_queue_lists_waiting_cases_urgent_first_with_their_wait(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await _signed_in(sign_in, repository)
    long_wait = await _case(repository, PATIENT_USER, "Meera Shah")
    urgent = await _case(repository, OTHER_USER, "Kabir Das", urgency="urgent", reason="emergency")
    taken = await _case(repository, 5_550_001, "Ila Sen")
    await repository.claim_case(taken.id, staff_id)
    async with database.session() as session, session.begin():
        await session.execute(
            sa.update(Case)
            .where(Case.id == long_wait.id)
            .values(queued_at=datetime.now(timezone.utc) - timedelta(hours=2, minutes=5))
        )

    response = await client.get("/queue")

    assert response.status_code == 200
    assert response.headers["refresh"] == "30"
    assert _references(response.text) == [urgent.reference, long_wait.reference]
    assert "2 h 5 min" in response.text
    assert "1 urgent" in response.text
    assert "Ila Sen" not in response.text


async def test_an_empty_queue(sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/queue")
    assert response.status_code == 200
    assert "Nobody is waiting." in response.text


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (0, 59, 60, 3599, 3600, 7500, 86_400, 90_000, -5)] == [
        "0 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h",
        "2 h 5 min",
        "1 d",
        "1 d 1 h",
        "0 s",
    ]
