"""The console's limits (issue 14): a case page with 2,000 transcript messages (p95 ≤ 300 ms)
and the reports over 10,000 cases (≤ 1 s), on PostgreSQL, through the real ASGI app.

`python -m bench.console` makes a scratch database (`bench_console` on $BENCH_POSTGRES_URL),
migrates it, bulk-inserts ~90 days of service (patients, cases, transcripts, consent
records, Rasa events, audit events) and one case with 2,000 messages, signs in with a real
one-time link, and times each page through httpx's ASGI transport in this process (no
network, no server: the app's own time, which is what the limits are about). Prints a
table and writes `bench/results/<UTC time>-console.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from bench.machine import machine_info
from bench.report import write_json
from bench.stats import percentile, summarize
from storage.consent_texts import load_clauses
from storage.db import sync_url
from storage.models import (
    AuditEvent,
    Case,
    ConsentRecord,
    Patient,
    StaffMember,
    TranscriptMessage,
)
from storage.refs import CASE_REFERENCE_OFFSET

RESULTS = Path(__file__).parent / "results"
SECRET = b"bench-console-secret"
STAFF_TELEGRAM_ID = 880_000_001
REPORTS = ("funnel", "reply-times", "cases-by-urgency", "ratings")
CASE_PAGE_TARGET_S = 0.300
REPORT_TARGET_S = 1.0
CHUNK = 5_000
# Rasa's `events` table as rasa.core.tracker_store.SQLTrackerStore.SQLEvent (Rasa 3.6)
# creates it; built here so that seeding needs no Rasa import (the scratch database is
# never used by a bot).
RASA_EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass(frozen=True)
class Size:
    cases: int = 10_000
    days: int = 90
    big_case_messages: int = 2_000
    # Patients who write but never reach a person, per handed-off patient.
    extra_patients_ratio: float = 0.5


@dataclass(frozen=True)
class Seeded:
    big_case_reference: str
    start: date
    end: date
    rows: dict[str, int]
    seconds: float


def _pseudonym(i: int) -> str:
    return hashlib.sha256(f"bench-patient-{i}".encode()).hexdigest()


def _event(sender: str, type_name: str, at: datetime, **names: str | None) -> dict[str, Any]:
    data = {"event": type_name, "timestamp": at.timestamp(), **names, "metadata": {}}
    return {
        "sender_id": sender,
        "type_name": type_name,
        "timestamp": at.timestamp(),
        "intent_name": names.get("intent_name"),
        "action_name": names.get("action_name"),
        # Rasa keeps the whole event as JSON here; a similar size keeps scans honest.
        "data": json.dumps(data) + " " * 300,
    }


def _message(
    patient_id: int, case_id: int | None, chat_id: int, author: str, at: datetime, n: int
) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "case_id": case_id,
        "direction": "in" if author == "patient" else "out",
        "author": author,
        "text": f"message {n} from the {author}: " + "lorem ipsum dolor sit amet " * 3,
        "chat_id": chat_id,
        "telegram_message_id": n if author == "patient" else None,
        "media_type": "photo" if n % 97 == 0 else None,
        "file_id": f"file-{n}" if n % 97 == 0 else None,
        "staff_member_id": 1 if author == "staff" else None,
        "created_at": at,
    }


def _rows(size: Size, today: date, rng: random.Random) -> Iterator[tuple[sa.Table, dict]]:
    """Every row to insert, table by table; case i belongs to patient i."""
    clauses = load_clauses()
    first_day = today - timedelta(days=size.days - 1)
    window = size.days * 86_400 - 4 * 3_600  # each conversation ends within the window
    now = datetime.now(timezone.utc)
    for s in range(1, 6):
        yield (
            StaffMember.__table__,
            {
                "id": s,
                "telegram_user_id": STAFF_TELEGRAM_ID + s,
                "display_name": f"Staff {s}",
                "active": True,
                "created_at": now - timedelta(days=size.days + 1),
            },
        )
    patients = size.cases + int(size.cases * size.extra_patients_ratio)
    begin = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    n = 0
    for i in range(1, patients + 1):
        start = begin + timedelta(seconds=rng.uniform(0, window))
        chat_id = 1_000_000_000 + i
        sender = str(chat_id)
        yield (
            Patient.__table__,
            {
                "id": i,
                "telegram_user_id": chat_id,
                "chat_id": chat_id,
                "pseudonym": _pseudonym(i),
                "display_name": f"Patient {i}",
                "language_code": "en",
                "blocked": False,
                "created_at": start,
            },
        )
        has_case = i <= size.cases
        for k in range(3):  # the bot conversation before any handoff
            at = start + timedelta(minutes=k)
            n += 1
            yield TranscriptMessage.__table__, _message(i, None, chat_id, "patient", at, n)
            n += 1
            yield TranscriptMessage.__table__, _message(i, None, chat_id, "bot", at, n)
        yield RASA_EVENTS, _event(sender, "action", start, action_name="action_listen")
        yield RASA_EVENTS, _event(sender, "user", start, intent_name="greet")
        big = i == 1  # the long case: claimed, consented, still with staff
        asked = rng.random() < 0.7 or big
        if asked:
            yield (
                RASA_EVENTS,
                _event(
                    sender,
                    "user",
                    start + timedelta(minutes=1),
                    intent_name="ask_procedure_category",
                ),
            )
            yield (
                RASA_EVENTS,
                _event(sender, "action", start, action_name="action_answer_procedure"),
            )
        checked = rng.random() < 0.6 or big
        if checked:
            at = start + timedelta(minutes=2)
            yield RASA_EVENTS, _event(sender, "user", at, intent_name="request_second_opinion")
            yield RASA_EVENTS, _event(sender, "action", at, action_name="second_opinion_form")
            yield RASA_EVENTS, _event(sender, "active_loop", at, name="second_opinion_form")
            yield (
                RASA_EVENTS,
                _event(sender, "action", at, action_name="action_second_opinion_result"),
            )
        if checked and has_case and (rng.random() < 0.8 or big):
            for clause in clauses:
                yield (
                    ConsentRecord.__table__,
                    {
                        "patient_pseudonym": _pseudonym(i),
                        "case_id": None,
                        "clause_id": clause.id,
                        "clause_version": clause.version,
                        "text_sha256": clause.sha256,
                        "decision": "agreed",
                        "decided_at": start + timedelta(minutes=3),
                        "answered_message_id": n,
                    },
                )
        if not has_case:
            continue
        opened = start + timedelta(minutes=4)
        fate = 0.75 if big else rng.random()
        claimed = opened + timedelta(minutes=rng.lognormvariate(2.5, 0.8)) if fate < 0.85 else None
        closed = (
            claimed + timedelta(minutes=rng.uniform(5, 120)) if claimed and fate < 0.7 else None
        )
        staff = rng.randint(1, 5)
        yield (
            Case.__table__,
            {
                "id": i,
                "patient_id": i,
                "patient_pseudonym": _pseudonym(i),
                "status": "closed" if closed else "with_staff" if claimed else "queued",
                "urgency": "urgent" if rng.random() < 0.08 else "normal",
                "reason": rng.choice(["second_opinion", "human_request", "unknown_procedure"]),
                "summary": {"asked": "rhinoplasty", "criteria_met": ["unclear_diagnosis"]},
                "staff_member_id": staff if claimed else None,
                "closed_by_staff_id": staff if closed else None,
                "rating": rng.choice([3, 4, 4, 5, 5, 5, 2, 1])
                if closed and rng.random() < 0.75
                else None,
                "opened_at": opened,
                "queued_at": opened,
                "claimed_at": claimed,
                "closed_at": closed,
            },
        )
        if claimed is not None:
            yield (
                AuditEvent.__table__,
                {
                    "at": claimed,
                    "actor_type": "staff",
                    "actor_id": str(staff),
                    "action": "case.claim",
                    "target": f"case:{i}",
                    "details": None,
                },
            )
            replies = size.big_case_messages // 3 if big else 2
            for k in range(replies):
                at = claimed + timedelta(seconds=30 + 90 * k)
                n += 1
                yield TranscriptMessage.__table__, _message(i, i, chat_id, "staff", at, n)
                n += 1
                yield (
                    TranscriptMessage.__table__,
                    _message(i, i, chat_id, "patient", at + timedelta(seconds=40), n),
                )
                if big:
                    n += 1
                    yield (
                        TranscriptMessage.__table__,
                        _message(i, i, chat_id, "bot", at + timedelta(seconds=50), n),
                    )
        if closed is not None:
            yield (
                AuditEvent.__table__,
                {
                    "at": closed,
                    "actor_type": "staff",
                    "actor_id": str(staff),
                    "action": "case.close",
                    "target": f"case:{i}",
                    "details": None,
                },
            )


PARENTS = (StaffMember.__table__, Patient.__table__, Case.__table__)
CHILDREN = (TranscriptMessage.__table__, ConsentRecord.__table__, AuditEvent.__table__, RASA_EVENTS)


def seed(url: str, size: Size, rng_seed: int = 14) -> Seeded:
    """Bulk-insert the service's history: executemany in chunks (psycopg2's execute_values).

    Two passes over the same seeded generator, parents then children, so that only a
    chunk of rows is held at a time and every foreign key already has its row.
    """
    started = time.perf_counter()
    today = datetime.now(timezone.utc).date()
    engine = sa.create_engine(sync_url(url), future=True)
    counts: dict[str, int] = {}
    try:
        RASA_EVENTS.create(engine, checkfirst=True)
        with engine.begin() as connection:
            for tables in (PARENTS, CHILDREN):
                buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tables}

                def flush(tables: tuple[sa.Table, ...], buffers: dict[str, list[dict]]) -> None:
                    for table in tables:  # in dependency order: a case after its patient
                        rows = buffers[table.name]
                        if rows:
                            connection.execute(table.insert(), rows)
                            counts[table.name] = counts.get(table.name, 0) + len(rows)
                            rows.clear()

                for table, row in _rows(size, today, random.Random(rng_seed)):
                    if table.name in buffers:
                        buffers[table.name].append(row)
                        if len(buffers[table.name]) >= CHUNK:
                            flush(tables, buffers)
                flush(tables, buffers)
            if connection.dialect.name == "postgresql":
                for table in ("patients", "cases", "staff_members"):
                    connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE"))  # as autovacuum would, soon after
    finally:
        engine.dispose()
    return Seeded(
        big_case_reference=str(1 + CASE_REFERENCE_OFFSET),
        start=today - timedelta(days=size.days - 1),
        end=today,
        rows=counts,
        seconds=time.perf_counter() - started,
    )


async def _timed(client: Any, path: str, times: int, warmup: int = 1) -> dict[str, Any]:
    for _ in range(warmup):
        response = await client.get(path)
        response.raise_for_status()
    latencies = []
    size = 0
    for _ in range(times):
        began = time.perf_counter()
        response = await client.get(path)
        latencies.append(time.perf_counter() - began)
        response.raise_for_status()
        size = len(response.content)
    return {"path": path, "bytes": size, **summarize(latencies).as_dict()}


class LoopLag:
    """How late a 5 ms ticker wakes: what a patient's turn on the same loop would wait."""

    TICK = 0.005

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.TICK
            await asyncio.sleep(self.TICK)
            self.lags.append(max(0.0, loop.time() - due))

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def summary(self) -> dict[str, float]:
        return {
            "ticks": len(self.lags),
            "p99_ms": percentile(self.lags, 0.99) * 1000,
            "max_ms": max(self.lags) * 1000,
        }


async def _loop_lag(client: Any, period: str, rounds: int) -> dict[str, Any]:
    """The loop's lag idle, then while a browser opens /reports and its four plots at once."""
    async with LoopLag() as idle:
        await asyncio.sleep(1.0)
    async with LoopLag() as busy:
        for _ in range(rounds):
            (await client.get(f"/reports?{period}")).raise_for_status()
            images = [client.get(f"/reports/{name}.png?{period}") for name in REPORTS]
            for response in await asyncio.gather(*images):
                response.raise_for_status()
    return {"idle": idle.summary(), "reports_open": busy.summary(), "rounds": rounds}


async def measure(
    url: str, seeded: Seeded, case_requests: int = 50, report_requests: int = 10
) -> dict[str, Any]:
    """Sign in through a real one-time link, then time the case page and every report."""
    import httpx

    from bot.config import ConsoleSettings
    from console.app import build_console
    from console.auth import create_sign_in_link
    from console.context import ConsoleContext
    from console.wiring import signing_key
    from storage import Database, Repository

    database = Database(url)

    async def is_staff(user_id: int) -> bool:
        return True

    context = ConsoleContext(
        settings=ConsoleSettings(host="127.0.0.1", port=0, public_url="http://console.bench"),
        database=database,
        repository=Repository(database, SECRET),
        signing_key=signing_key(SECRET),
        is_staff=is_staff,
    )
    app = build_console(context)
    results: dict[str, Any] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://console.bench"
        ) as client:
            link = urlsplit(await create_sign_in_link(context, STAFF_TELEGRAM_ID + 1, "Staff 1"))
            signed = await client.get(f"{link.path}?{link.query}")
            if signed.status_code not in (302, 303):
                raise RuntimeError(f"sign-in failed: {signed.status_code} {signed.text[:200]}")
            period = f"start={seeded.start.isoformat()}&end={seeded.end.isoformat()}"
            results["case_page"] = await _timed(
                client, f"/cases/{seeded.big_case_reference}", case_requests, warmup=3
            )
            results["reports_page"] = await _timed(client, f"/reports?{period}", report_requests)
            for name in REPORTS:
                for kind in ("png", "csv"):
                    results[f"{name}.{kind}"] = await _timed(
                        client, f"/reports/{name}.{kind}?{period}", report_requests
                    )
            lag = await _loop_lag(client, period, max(1, report_requests // 2))
    finally:
        await database.dispose()
    return {"pages": results, "loop_lag": lag}


def verdict(key: str, figures: dict[str, Any]) -> tuple[float, str]:
    """The target for this page and whether its p95 met it."""
    target = CASE_PAGE_TARGET_S if key == "case_page" else REPORT_TARGET_S
    return target, "met" if figures["p95"] <= target else "MISSED"


def format_table(results: dict[str, Any]) -> str:
    lines = [
        f"{'page':<24} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}  verdict",
    ]
    for key, figures in results["pages"].items():
        target, word = verdict(key, figures)
        lines.append(
            f"{key:<24} {figures['count']:>4} {figures['p50'] * 1000:>8.1f} "
            f"{figures['p95'] * 1000:>8.1f} {figures['max'] * 1000:>8.1f} "
            f"{target * 1000:>6.0f}ms  {word}"
        )
    lag = results["loop_lag"]
    lines.append(
        f"event loop lag, 5 ms ticker: idle p99 {lag['idle']['p99_ms']:.1f} / max "
        f"{lag['idle']['max_ms']:.1f} ms; while /reports and its 4 plots load "
        f"({lag['rounds']} rounds) p99 {lag['reports_open']['p99_ms']:.1f} / max "
        f"{lag['reports_open']['max_ms']:.1f} ms"
    )
    seeded = results["seeded"]
    lines.append(
        f"seeded in {seeded['seconds']:.1f} s: "
        + ", ".join(f"{table} {count:,}" for table, count in sorted(seeded["rows"].items()))
    )
    lines.append(f"database: {results['database']}; command: {results['command']}")
    return "\n".join(lines)


def run(url: str, size: Size, case_requests: int, report_requests: int) -> dict[str, Any]:
    """Migrate, seed and measure one database; the results as one dict."""
    from storage import migrate

    machine = machine_info()
    migrate(url)
    seeded = seed(url, size)
    measured = asyncio.run(measure(url, seeded, case_requests, report_requests))
    pages = measured["pages"]
    return {
        "command": " ".join(["python -m bench.console", *sys.argv[1:]]),
        "database": sa.engine.make_url(url).get_backend_name(),
        "size": size.__dict__,
        "seeded": {
            "rows": seeded.rows,
            "seconds": seeded.seconds,
            "range": [seeded.start.isoformat(), seeded.end.isoformat()],
            "big_case_reference": seeded.big_case_reference,
        },
        "pages": pages,
        "loop_lag": measured["loop_lag"],
        "verdicts": {key: verdict(key, figures)[1] for key, figures in pages.items()},
        "machine": machine,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--cases", type=int, default=Size.cases)
    parser.add_argument("--days", type=int, default=Size.days)
    parser.add_argument("--messages", type=int, default=Size.big_case_messages)
    parser.add_argument("--case-requests", type=int, default=50)
    parser.add_argument("--report-requests", type=int, default=10)
    args = parser.parse_args(argv)
    size = Size(cases=args.cases, days=args.days, big_case_messages=args.messages)
    with tempfile.TemporaryDirectory() as scratch:
        if args.database == "postgresql":
            from bench.databases import fresh_postgres

            url = fresh_postgres("bench_console")
        else:
            url = f"sqlite:///{Path(scratch) / 'console.db'}"
        results = run(url, size, args.case_requests, args.report_requests)
    print(format_table(results))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = write_json(results, RESULTS, f"{stamp}-console")
    print(f"results: {path}")
    return 0 if all(v == "met" for v in results["verdicts"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
