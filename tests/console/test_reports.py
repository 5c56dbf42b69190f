"""Reports: each funnel step, reply-time percentiles, cases by urgency and ratings on known
data, their CSV and PNG, bad dates and signed-out requests; on SQLite and on PostgreSQL.

Data is written through the Repository and Rasa's own tracker store, then moved back in
time with UPDATEs (the Repository stamps `now`). Consent records are append-only, even to
tests, so they keep today's time and every range here ends tomorrow.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from console.reports import parse_range
from storage import Database, Repository, migrate
from storage.consent_texts import load_clauses
from storage.models import Case, TranscriptMessage
from storage.report_queries import DateRange, funnel, reply_times
from storage.tracker import make_tracker_store
from tests.console.conftest import SignIn

TODAY = datetime.now(timezone.utc).date()
D1 = TODAY - timedelta(days=5)  # three cases: staff answered in 10, 20 and 30 minutes
D2 = TODAY - timedelta(days=4)  # two urgent cases: one answered in 60 minutes, one not
BEFORE = TODAY - timedelta(days=60)  # outside the range: counted nowhere
RANGE = {
    "start": (TODAY - timedelta(days=20)).isoformat(),
    "end": (TODAY + timedelta(1)).isoformat(),
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Overrides conftest's: the same tests on both databases the bot supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reports.db'}"
    else:
        from tests.pg import fresh_database

        url = fresh_database(f"test_console_reports_{uuid.uuid4().hex[:8]}")
    migrate(url)
    db = Database(url)
    db.plain_url = url  # type: ignore[attr-defined]
    yield db
    await db.dispose()
    if request.param == "postgresql":
        import psycopg2

        from tests.pg import ADMIN_URL

        connection = psycopg2.connect(ADMIN_URL)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        connection.close()


@dataclass
class Seeder:
    """Writes patients, cases and messages through the Repository, then dates them."""

    db: Database
    repo: Repository
    staff_id: int = 0
    next_user: int = 5000

    async def patient(self, wrote_at: datetime) -> Any:
        self.next_user += 1
        patient = await self.repo.upsert_patient(self.next_user, self.next_user, "P", "en")
        message_id = await self.repo.record_message(
            patient_id=patient.id,
            direction="in",
            author="patient",
            text="hello",
            chat_id=patient.chat_id,
            telegram_message_id=1,
        )
        await self.set(TranscriptMessage, message_id, created_at=wrote_at)
        return patient

    async def set(self, table: Any, row_id: int, **values: Any) -> None:
        async with self.db.session() as session, session.begin():
            await session.execute(sa.update(table).where(table.id == row_id).values(**values))

    async def case(
        self,
        patient: Any,
        opened_at: datetime,
        *,
        urgency: str = "normal",
        replies_after_min: tuple[int, ...] = (),
        claimed: bool = False,
        closed_rating: int | None = None,
    ) -> int:
        case = await self.repo.open_case(
            patient_id=patient.id, reason="human_request", urgency=urgency, summary={}
        )
        dates: dict[str, Any] = {"opened_at": opened_at, "queued_at": opened_at}
        if claimed or replies_after_min:
            await self.repo.claim_case(case.id, self.staff_id)
            dates["claimed_at"] = opened_at + timedelta(minutes=1)
        for minutes in replies_after_min:
            message_id = await self.repo.record_message(
                patient_id=patient.id,
                direction="out",
                author="staff",
                text="Hello, I am from the care team.",
                chat_id=patient.chat_id,
                telegram_message_id=None,
                staff_member_id=self.staff_id,
            )
            await self.set(
                TranscriptMessage, message_id, created_at=opened_at + timedelta(minutes=minutes)
            )
        if closed_rating is not None:
            await self.repo.close_case(case.id, self.staff_id)
            await self.repo.rate_case(case.id, closed_rating)
            dates["closed_at"] = opened_at + timedelta(hours=2)
        await self.set(Case, case.id, **dates)
        return case.id

    async def consent(self, patient: Any, refuse_last: bool = False) -> None:
        clauses = load_clauses()
        for clause in clauses:
            refused = refuse_last and clause is clauses[-1]
            await self.repo.record_consent(
                patient_id=patient.id,
                clause_id=clause.id,
                version=clause.version,
                text_sha256=clause.sha256,
                decision="refused" if refused else "agreed",
                answered_message_id=None,
            )


async def save_events(url: str, chat_id: int, events: list[tuple[str, str, datetime]]) -> None:
    """A conversation in Rasa's own `events` table: ("intent"|"action", name, when)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_events = []
    for kind, name, when in events:
        stamp = when.timestamp()
        if kind == "intent":
            intent = {"name": name, "confidence": 1.0}
            rasa_events.append(UserUttered("…", intent=intent, timestamp=stamp))
        else:
            rasa_events.append(ActionExecuted(name, timestamp=stamp))
    store = make_tracker_store(url, Domain.from_dict({"intents": ["greet"]}))
    try:
        await store.save(DialogueStateTracker.from_events(str(chat_id), rasa_events))
    finally:
        store.engine.dispose()


@pytest_asyncio.fixture
async def seeded(database: Database, repository: Repository) -> Database:
    """Nine patients whose every figure is known (see each test)."""
    staff = await repository.upsert_staff(700_001, "Meera")
    seed = Seeder(database, repository, staff_id=staff.id)
    url = database.plain_url  # type: ignore[attr-defined]

    # D1: three cases answered in 10, 20 and 30 minutes.
    p1 = await seed.patient(at(D1, 9))
    await save_events(
        url,
        p1.chat_id,
        [
            ("intent", "greet", at(D1, 9)),
            ("intent", "ask_procedure_category", at(D1, 9, 1)),
            ("action", "second_opinion_form", at(D1, 9, 2)),
            ("action", "action_second_opinion_result", at(D1, 9, 5)),
        ],
    )
    await seed.consent(p1)
    await seed.case(p1, at(D1, 10), replies_after_min=(10, 45), closed_rating=5)

    p2 = await seed.patient(at(D1, 11))
    await save_events(
        url,
        p2.chat_id,
        [
            ("intent", "ask_procedure_category", at(D1, 11, 1)),
            ("intent", "ask_procedure_category", at(D1, 11, 2)),  # twice: one patient
            ("action", "action_second_opinion_result", at(D1, 11, 5)),
        ],
    )
    await seed.consent(p2, refuse_last=True)  # four of five: not complete
    await seed.case(p2, at(D1, 12), replies_after_min=(30,), closed_rating=3)

    p8 = await seed.patient(at(D1, 13))
    await seed.case(p8, at(D1, 14), replies_after_min=(20,))

    # D2: two urgent cases, one answered after an hour, one waiting.
    p3 = await seed.patient(at(D2, 8))
    await save_events(url, p3.chat_id, [("intent", "ask_procedure_category", at(D2, 8, 1))])
    p4 = await seed.patient(at(D2, 8, 30))
    await seed.case(p4, at(D2, 9), urgency="urgent", replies_after_min=(60, 90))
    p5 = await seed.patient(at(D2, 9, 30))
    await seed.case(p5, at(D2, 10), urgency="urgent")

    # Wrote in the range, but asked its category question long before: step 2 skips it.
    p7 = await seed.patient(at(D2, 12))
    await save_events(url, p7.chat_id, [("intent", "ask_procedure_category", at(BEFORE, 8))])

    # Everything long before the range.
    p6 = await seed.patient(at(BEFORE, 9))
    await save_events(url, p6.chat_id, [("intent", "ask_procedure_category", at(BEFORE, 9))])
    await seed.case(p6, at(BEFORE, 10), replies_after_min=(5,), closed_rating=1)
    return database


EXPECTED_FUNNEL = {
    "started": 7,  # p1 p2 p8 p3 p4 p5 p7
    "asked_category": 3,  # p1 p2 p3
    "second_opinion_checked": 2,  # p1 p2
    "consent_complete": 1,  # p1
    "handed_off": 5,  # p1 p2 p8 p4 p5
    "taken_over": 4,  # p1 p2 p8 p4
    "closed": 2,  # p1 p2
}


def period() -> DateRange:
    return parse_range(RANGE)


async def test_each_funnel_step_counts_the_patients_who_reached_it(seeded: Database) -> None:
    result = await funnel(seeded.engine, period())
    assert result.events_available
    assert {s.key: s.patients for s in result.steps} == EXPECTED_FUNNEL


async def test_funnel_without_rasas_table_reads_zero_for_its_two_steps(
    database: Database, repository: Repository
) -> None:
    seed = Seeder(database, repository)
    await seed.patient(at(D1, 9))
    result = await funnel(database.engine, period())
    assert not result.events_available
    assert [s.patients for s in result.steps] == [1, 0, 0, 0, 0, 0, 0]


async def test_reply_times_median_and_p90_per_day_and_overall(seeded: Database) -> None:
    times = await reply_times(seeded.engine, period())
    by_day = {d.day: d for d in times.days}
    # D1: 600, 1200, 1800 s (p1's second reply, at 45 min, is not its first).
    assert by_day[D1].answered == 3
    assert by_day[D1].median_s == pytest.approx(1200)
    assert by_day[D1].p90_s == pytest.approx(1200 + 0.8 * 600)  # position 1.8
    # D2: one answered (3600 s; its 90-minute message is not the first), one waiting.
    assert (by_day[D2].answered, by_day[D2].median_s, by_day[D2].p90_s) == (1, 3600, 3600)
    assert by_day[TODAY].answered == 0 and by_day[TODAY].median_s is None
    # Whole range: 600, 1200, 1800, 3600.
    assert times.overall.answered == 4
    assert times.overall.median_s == pytest.approx(1500)  # position 1.5
    assert times.overall.p90_s == pytest.approx(1800 + 0.7 * 1800)  # position 2.7
    assert times.unanswered == 1
    assert len(times.days) == 22


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.text)))


async def test_funnel_csv(seeded: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    rows = read_csv(await client.get("/reports/funnel.csv", params=RANGE))
    assert rows[0] == ["step", "label", "patients"]
    assert {row[0]: int(row[2]) for row in rows[1:]} == EXPECTED_FUNNEL
    filename = f"funnel-{RANGE['start']}-{RANGE['end']}.csv"
    response = await client.get("/reports/funnel.csv", params=RANGE)
    assert filename in response.headers["content-disposition"]


async def test_reply_times_csv(seeded: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    rows = read_csv(await client.get("/reports/reply-times.csv", params=RANGE))
    assert rows[0] == ["day", "cases_answered", "median_seconds", "p90_seconds"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert by_day[D1.isoformat()] == ["3", "1200.0", "1680.0"]
    assert by_day[D2.isoformat()] == ["1", "3600.0", "3600.0"]
    assert by_day[TODAY.isoformat()] == ["0", "", ""]
    assert by_day["all"] == ["4", "1500.0", "3060.0"]


async def test_cases_by_urgency_csv(seeded: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    rows = read_csv(await client.get("/reports/cases-by-urgency.csv", params=RANGE))
    assert rows[0] == ["day", "normal", "urgent", "total"]
    by_day = {row[0]: [int(n) for n in row[1:]] for row in rows[1:]}
    assert by_day[D1.isoformat()] == [3, 0, 3]
    assert by_day[D2.isoformat()] == [0, 2, 2]
    assert sum(counts[2] for counts in by_day.values()) == 5  # the old case is outside
    assert len(by_day) == 22


async def test_ratings_csv(seeded: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    rows = read_csv(await client.get("/reports/ratings.csv", params=RANGE))
    assert rows[0] == ["rating", "cases"]
    assert rows[1:] == [
        ["1", "0"],
        ["2", "0"],
        ["3", "1"],
        ["4", "0"],
        ["5", "1"],
        ["mean", "4.00"],
    ]


@pytest.mark.parametrize("name", ["funnel", "reply-times", "cases-by-urgency", "ratings"])
async def test_each_plot_is_a_png(seeded: Database, sign_in: SignIn, name: str) -> None:
    client = await sign_in()
    response = await client.get(f"/reports/{name}.png", params=RANGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)


async def test_page_shows_plots_with_their_figures_tables_and_definitions(
    seeded: Database, sign_in: SignIn
) -> None:
    client = await sign_in()
    response = await client.get("/reports", params=RANGE)
    assert response.status_code == 200
    page = response.text
    for name in ("funnel", "reply-times", "cases-by-urgency", "ratings"):
        assert f'src="/reports/{name}.png?start={RANGE["start"]}&amp;end={RANGE["end"]}"' in page
        assert f'href="/reports/{name}.csv?start=' in page
    # Alt texts state the numbers.
    assert "started 7; asked a category question 3; second opinion checked 2" in page
    assert "4 cases answered, median 25.0 min, p90 51.0 min" in page
    assert "5 cases (3 normal, 2 urgent)" in page
    assert "1 rated 3" in page and "mean 4.00 of 2 ratings" in page
    assert page.count("<table>") == 4
    assert "action_second_opinion_result" in page  # the funnel's definitions
    assert '<label for="r-start">' in page and '<label for="r-end">' in page


async def test_default_range_is_the_last_thirty_days(database: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/reports")
    assert response.status_code == 200
    start = (TODAY - timedelta(days=29)).isoformat()
    assert f'value="{start}"' in response.text and f'value="{TODAY.isoformat()}"' in response.text


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start": "2026-13-01"}, "is not a date"),
        ({"end": "yesterday"}, "is not a date"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "is after end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 366"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "past the last day"),
    ],
)
async def test_bad_dates_get_a_400_that_says_why(
    database: Database, sign_in: SignIn, params: dict[str, str], says: str
) -> None:
    client = await sign_in()
    for path in ("/reports", "/reports/funnel.png", "/reports/ratings.csv"):
        response = await client.get(path, params=params)
        assert response.status_code == 400, path
        assert says in response.text


async def test_unknown_report_is_404(database: Database, sign_in: SignIn) -> None:
    client = await sign_in()
    assert (await client.get("/reports/salaries.csv")).status_code == 404


@pytest.mark.parametrize("path", ["/reports", "/reports/funnel.png", "/reports/funnel.csv"])
async def test_signed_out_requests_are_refused(
    database: Database, client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, params=RANGE)
    assert response.status_code in (303, 401)
    assert not response.content.startswith(PNG_MAGIC)
    assert "text/csv" not in response.headers.get("content-type", "")


async def test_days_are_utc_days_whatever_the_sessions_time_zone(
    database: Database, repository: Repository
) -> None:
    """23:50 UTC is that day, 00:10 UTC the next, on a PostgreSQL session in India too."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.report_queries import cases_by_urgency

    seed = Seeder(database, repository)
    for opened in (at(D1, 23, 50), at(D2, 0, 10), at(TODAY + timedelta(days=2), 0, 0)):
        await seed.case(await seed.patient(opened - timedelta(minutes=5)), opened)
    engine = database.engine
    if engine.dialect.name == "postgresql":
        engine = create_async_engine(
            database.url, connect_args={"server_settings": {"TimeZone": "Asia/Kolkata"}}
        )
    try:
        days = {d.day: d.total for d in await cases_by_urgency(engine, period())}
    finally:
        if engine is not database.engine:
            await engine.dispose()
    assert (days[D1], days[D2]) == (1, 1)
    assert sum(days.values()) == 2  # the day after `end` is outside


@pytest.mark.parametrize("name", ["funnel", "reply-times", "cases-by-urgency", "ratings"])
async def test_an_empty_range_still_draws_and_exports(
    database: Database, sign_in: SignIn, name: str
) -> None:
    client = await sign_in()
    png = await client.get(f"/reports/{name}.png")
    assert png.status_code == 200 and png.content.startswith(PNG_MAGIC)
    rows = read_csv(await client.get(f"/reports/{name}.csv"))
    assert len(rows) > 1  # a header, then zeros or empty figures


async def test_plots_are_drawn_in_a_child_replaced_when_it_dies(
    database: Database, sign_in: SignIn
) -> None:
    """Off the bot's process (the GIL held its loop up); a killed child is replaced."""
    import os
    import signal

    from console.reports import PLOTTER

    client = await sign_in()
    assert (await client.get("/reports/ratings.png")).status_code == 200
    pool = PLOTTER._pool
    assert pool is not None
    children = list(pool._processes.values())  # type: ignore[attr-defined]
    assert children and all(child.pid != os.getpid() for child in children)
    for child in children:
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    response = await client.get("/reports/ratings.png")
    assert response.status_code == 200 and response.content.startswith(PNG_MAGIC)
    assert PLOTTER._pool is not pool
