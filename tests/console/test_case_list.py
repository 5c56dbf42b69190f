"""The console's case list: filters, search, paging, and escaping what it shows.

Data is seeded through the Repository, as the bot writes it (tests/console/seed.py);
a staff member signs in by a real one-time link (the conftest's sign_in).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from storage import Database, Repository
from storage.models import Case
from tests.console.conftest import STAFF_NAME, SignIn
from tests.console.seed import (
    OTHER_STAFF_ID,
    OTHER_STAFF_NAME,
    OTHER_USER,
    PATIENT_USER,
    references,
    say,
    seed_case,
    set_opened,
    signed_in,
)


async def test_root_redirects_to_the_case_list(sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/cases")


async def test_case_list_shows_each_case_newest_first(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    first = await seed_case(repository, PATIENT_USER, "Meera Shah")
    second = await seed_case(
        repository, OTHER_USER, "Kabir Das", urgency="urgent", reason="emergency"
    )
    await repository.claim_case(first.id, staff_id)

    response = await client.get("/cases")

    assert response.status_code == 200
    html = response.text
    assert references(html) == [second.reference, first.reference]
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
    client, staff_id = await signed_in(sign_in, repository)
    waiting = await seed_case(repository, PATIENT_USER, "Meera Shah", urgency="urgent")
    held = await seed_case(repository, OTHER_USER, "Kabir Das")
    await repository.claim_case(held.id, staff_id)

    queued = await client.get("/cases", params={"status": "queued"})
    with_staff = await client.get("/cases", params={"status": "with_staff"})
    urgent = await client.get("/cases", params={"urgency": "urgent"})
    normal_closed = await client.get("/cases", params={"urgency": "normal", "status": "closed"})

    assert references(queued.text) == [waiting.reference]
    assert references(with_staff.text) == [held.reference]
    assert references(urgent.text) == [waiting.reference]
    assert references(normal_closed.text) == []
    assert "No case matches these filters." in normal_closed.text
    assert '<option value="queued" selected>' in queued.text


async def test_filter_by_staff_member_who_holds_or_held_the_case(
    sign_in: SignIn, repository: Repository
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    other = await repository.upsert_staff(OTHER_STAFF_ID, OTHER_STAFF_NAME)
    holds = await seed_case(repository, PATIENT_USER, "Meera Shah")
    held = await seed_case(repository, OTHER_USER, "Kabir Das")
    someone_elses = await seed_case(repository, 5_550_001, "Ila Sen")
    await repository.claim_case(holds.id, staff_id)
    await repository.claim_case(held.id, staff_id)
    await repository.release_case(held.id, staff_id)  # the holder is cleared; the claim stays
    await repository.claim_case(someone_elses.id, other.id)

    mine = await client.get("/cases", params={"staff": str(staff_id)})
    theirs = await client.get("/cases", params={"staff": str(other.id)})

    assert sorted(references(mine.text)) == sorted([holds.reference, held.reference])
    assert references(theirs.text) == [someone_elses.reference]
    assert f'<option value="{other.id}">{OTHER_STAFF_NAME}</option>' in mine.text


async def test_filter_by_the_day_opened(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client = await sign_in()
    old = await seed_case(repository, PATIENT_USER, "Meera Shah")
    mid = await seed_case(repository, OTHER_USER, "Kabir Das")
    new = await seed_case(repository, 5_550_001, "Ila Sen")
    await set_opened(database, old.id, datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc))
    await set_opened(database, mid.id, datetime(2026, 11, 15, 23, 59, tzinfo=timezone.utc))
    await set_opened(database, new.id, datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc))

    from_mid = await client.get("/cases", params={"from": "2026-11-15"})
    to_mid = await client.get("/cases", params={"to": "2026-11-15"})
    only_mid = await client.get("/cases", params={"from": "2026-11-15", "to": "2026-11-15"})

    assert references(from_mid.text) == [new.reference, mid.reference]
    assert references(to_mid.text) == [mid.reference, old.reference]  # the "to" day included
    assert references(only_mid.text) == [mid.reference]
    assert 'value="2026-11-15"' in only_mid.text


async def test_search_by_case_number(sign_in: SignIn, repository: Repository) -> None:
    client = await sign_in()
    wanted = await seed_case(repository, PATIENT_USER, "Meera Shah")
    await seed_case(repository, OTHER_USER, "Kabir Das")

    found = await client.get("/cases", params={"case": wanted.reference})
    with_hash = await client.get("/cases", params={"case": f" #{wanted.reference} "})
    missing = await client.get("/cases", params={"case": "999999"})
    impossible = await client.get("/cases", params={"case": "9" * 40})

    assert references(found.text) == [wanted.reference]
    assert references(with_hash.text) == [wanted.reference]
    for response in (missing, impossible):
        assert response.status_code == 200
        assert references(response.text) == []
        assert "0 cases." in response.text


async def test_the_list_is_paged_by_fifty(sign_in: SignIn, repository: Repository) -> None:
    client = await sign_in()
    cases = [await seed_case(repository, 5_000_000 + n, f"Patient {n}") for n in range(51)]

    first = await client.get("/cases")
    second = await client.get("/cases", params={"page": "2", "status": "queued"})

    assert len(references(first.text)) == 50
    assert "page 1 of 2" in first.text
    assert 'href="/cases?page=2" rel="next"' in first.text
    assert references(second.text) == [cases[0].reference]  # the oldest, on the last page
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
    await seed_case(repository, PATIENT_USER, "Meera Shah")

    response = await client.get("/cases", params=params)

    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert references(response.text) == []
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
    case = await seed_case(repository, PATIENT_USER, "Meera Shah")

    response = await client.get("/cases", params={"case": typed, "status": typed})

    assert response.status_code == 400
    assert "The case number must be a number" in response.text
    assert str(PATIENT_USER) not in response.text
    assert references(response.text) == []
    async with database.session() as session:  # the table is still there, untouched
        assert await session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    assert references((await client.get("/cases")).text) == [case.reference]


async def test_html_in_the_search_box_and_in_names_is_escaped(
    sign_in: SignIn, repository: Repository
) -> None:
    client = await sign_in()
    case = await seed_case(repository, PATIENT_USER, '<img src=x onerror="alert(1)">')
    script = "<script>alert('x')</script>"
    await say(repository, case.patient_id, "patient", f"hello {script} & bye", 1)
    await say(repository, case.patient_id, "patient", None, 2, media_type="<i>photo</i>")

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
