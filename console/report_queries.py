"""The reports' figures, read with SQLAlchemy Core: aggregates in the database, never writes.

Every query groups in SQL (GROUP BY, window functions), so a report over 10,000 cases
returns a few dozen rows. The same statements run on SQLite and PostgreSQL: the two
dialect-specific pieces (a timestamp's UTC day, seconds between two timestamps) are small
SQL constructs compiled for each, and percentiles are computed with window functions
and integer arithmetic that both databases agree on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from storage.consent_texts import load_clauses
from storage.models import URGENCIES, Case, ConsentRecord, Patient, TranscriptMessage

# Rasa's tracker table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), read only.
# Rasa creates it on its first save, so a fresh database may not have it yet.
RASA_EVENTS = sa.table(
    "events",
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
)
CATEGORY_INTENT = "ask_procedure_category"
# Runs once the second-opinion form has every criterion answered (stories/rules.yml,
# "check done"); a form left for an emergency never reaches it.
SECOND_OPINION_RESULT_ACTION = "action_second_opinion_result"
RATINGS = (1, 2, 3, 4, 5)
PERCENTILES = (50, 90)


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.utc)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range (exclusive upper bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timezone.utc)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def holds(self, column: Any) -> sa.sql.ColumnElement[bool]:
        return sa.and_(column >= self.start_at, column < self.end_before)

    def holds_epoch(self, column: Any) -> sa.sql.ColumnElement[bool]:
        """For Rasa's event timestamps, which are Unix seconds."""
        return sa.and_(column >= self.start_at.timestamp(), column < self.end_before.timestamp())


# -- two dialect-specific expressions ------------------------------------------------


class utc_day(FunctionElement):
    """The UTC calendar day of a UTCDateTime column, as 'YYYY-MM-DD' text."""

    type = sa.String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff', on SQLite.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class seconds_between(FunctionElement):
    """seconds_between(later, earlier): the seconds from `earlier` to `later`."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # julianday's double carries days since 4714 BC: about 20 microseconds of noise, so
    # round to the millisecond (PostgreSQL's interval arithmetic is exact).
    return f"round((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


async def has_events_table(connection: AsyncConnection) -> bool:
    return await connection.run_sync(lambda sync: sa.inspect(sync).has_table("events"))


# -- 1. the funnel ---------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    definition: str
    patients: int


@dataclass(frozen=True)
class Funnel:
    steps: list[FunnelStep]
    # False when Rasa has not created its `events` table yet: steps 2 and 3 read 0.
    events_available: bool


FUNNEL_DEFINITIONS: list[tuple[str, str, str]] = [
    (
        "started",
        "Started",
        "patients who sent the bot at least one message in the range "
        "(transcript_messages written by the patient); every later step counts only them",
    ),
    (
        "asked_category",
        "Asked a category question",
        "of those, patients whose conversation has a user turn read as "
        f"{CATEGORY_INTENT} in the range (Rasa's events; sender_id is the patient's chat id)",
    ),
    (
        "second_opinion_checked",
        "Second opinion checked",
        "patients for whom the second-opinion form asked every criterion and "
        f"{SECOND_OPINION_RESULT_ACTION} ran in the range (Rasa's events)",
    ),
    (
        "consent_complete",
        "Consent complete",
        "patients with an 'agreed' consent record for every clause of content/consent.yml "
        "(any version), each decided in the range",
    ),
    ("handed_off", "Handed off", "patients with a case opened in the range"),
    ("taken_over", "Taken over", "patients with a case claimed by staff in the range"),
    ("closed", "Closed", "patients with a case closed in the range"),
]


def _cohort(period: DateRange) -> Any:
    """Patients who wrote in the range: the funnel's first step, with their tracker's id."""
    wrote = (
        sa.select(TranscriptMessage.id)
        .where(
            TranscriptMessage.patient_id == Patient.id,
            TranscriptMessage.author == "patient",
            period.holds(TranscriptMessage.created_at),
        )
        .exists()
    )
    # The gateway talks to Rasa as str(chat_id) (bot/gateway.py), a private chat's id.
    sender = sa.cast(Patient.chat_id, sa.String(255)).label("sender_id")
    return sa.select(Patient.pseudonym, sender).where(wrote).subquery("cohort")


def _flag(condition: Any) -> Any:
    """1 when any row of the group meets `condition`, else 0 (portable bool_or)."""
    return sa.func.max(sa.case((condition, 1), else_=0))


def _event_flags(period: DateRange) -> Any:
    """Per conversation: asked a category question, had the second-opinion result; one scan."""
    events = RASA_EVENTS
    asked = sa.and_(events.c.type_name == "user", events.c.intent_name == CATEGORY_INTENT)
    checked = sa.and_(
        events.c.type_name == "action", events.c.action_name == SECOND_OPINION_RESULT_ACTION
    )
    return (
        sa.select(
            events.c.sender_id.label("key"),
            _flag(asked).label("asked"),
            _flag(checked).label("checked"),
        )
        .where(sa.or_(asked, checked), period.holds_epoch(events.c.timestamp))
        .group_by(events.c.sender_id)
        .subquery("event_flags")
    )


@functools.cache
def _clause_ids() -> tuple[str, ...]:
    """content/consent.yml's clause ids, read once: parsing the YAML took 20-50 ms of the
    bot's loop on every funnel (the bot reads its content once at start, too)."""
    return tuple(sorted({clause.id for clause in load_clauses()}))


def _consented(period: DateRange) -> Any:
    """Pseudonyms with an agreement to every clause, decided in the range."""
    clause_ids = _clause_ids()
    # Distinct (patient, clause) pairs, then whole sets: both hash aggregates, where
    # count(DISTINCT ...) would sort every record.
    agreed = (
        sa.select(ConsentRecord.patient_pseudonym, ConsentRecord.clause_id)
        .where(
            ConsentRecord.decision == "agreed",
            ConsentRecord.clause_id.in_(clause_ids),
            period.holds(ConsentRecord.decided_at),
        )
        .distinct()
        .subquery()
    )
    return (
        sa.select(agreed.c.patient_pseudonym.label("key"))
        .group_by(agreed.c.patient_pseudonym)
        .having(sa.func.count() == len(clause_ids))
        .subquery("consented")
    )


def _case_flags(period: DateRange) -> Any:
    """Per patient: a case opened, claimed, closed in the range; one scan of the cases."""
    moments = {"opened": Case.opened_at, "claimed": Case.claimed_at, "closed": Case.closed_at}
    return (
        sa.select(
            Case.patient_pseudonym.label("key"),
            *(_flag(period.holds(at)).label(name) for name, at in moments.items()),
        )
        .where(sa.or_(*(period.holds(at) for at in moments.values())))
        .group_by(Case.patient_pseudonym)
        .subquery("case_flags")
    )


async def funnel(engine: AsyncEngine, period: DateRange) -> Funnel:
    """The seven steps' patient counts, in one statement.

    Each step's table is reduced to one row per patient first (hash aggregates over one
    scan each), then joined once to the cohort: probing the events index once per
    patient cost 150 ms a step on 15,000 patients.
    """
    async with engine.connect() as connection:
        events = await has_events_table(connection)
        cohort = _cohort(period)
        consented = _consented(period)
        cases = _case_flags(period)
        joined = cohort.outerjoin(consented, consented.c.key == cohort.c.pseudonym).outerjoin(
            cases, cases.c.key == cohort.c.pseudonym
        )
        if events:
            flags = _event_flags(period)
            joined = joined.outerjoin(flags, flags.c.key == cohort.c.sender_id)
            asked, checked = flags.c.asked, flags.c.checked
        else:  # Rasa has not written yet: nobody asked anything of it
            asked = checked = sa.literal(0)

        def total(column: Any) -> Any:
            return sa.func.coalesce(sa.func.sum(column), 0)

        query = sa.select(
            sa.func.count(),
            total(asked),
            total(checked),
            sa.func.count(consented.c.key),
            total(cases.c.opened),
            total(cases.c.claimed),
            total(cases.c.closed),
        ).select_from(joined)
        row = (await connection.execute(query)).one()
    steps = [
        FunnelStep(key, label, definition, int(count))
        for (key, label, definition), count in zip(FUNNEL_DEFINITIONS, row, strict=True)
    ]
    return Funnel(steps, events)


# -- 2. time to first staff reply ------------------------------------------------------


@dataclass(frozen=True)
class ReplyDay:
    """Cases opened that day that staff answered, and their waits in seconds."""

    day: date | None  # None: the whole range
    answered: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class ReplyTimes:
    days: list[ReplyDay]
    overall: ReplyDay
    # Cases opened in the range that no staff message has answered yet.
    unanswered: int


def _first_replies(period: DateRange) -> Any:
    """One row per case opened in the range that staff answered: its day and its wait."""
    # Each case's first staff message, grouped over the transcript in one scan (hash
    # aggregate) before the join: walking the case_id index fetched every message's row.
    # A reply to a case opened in the range comes after the range's start.
    first = (
        sa.select(
            TranscriptMessage.case_id,
            sa.func.min(TranscriptMessage.created_at).label("first_at"),
        )
        .where(
            TranscriptMessage.author == "staff",
            TranscriptMessage.case_id.is_not(None),
            TranscriptMessage.created_at >= period.start_at,
        )
        .group_by(TranscriptMessage.case_id)
        .subquery("first_staff")
    )
    return (
        sa.select(
            utc_day(Case.opened_at).label("day"),
            seconds_between(first.c.first_at, Case.opened_at).label("seconds"),
        )
        .join(first, first.c.case_id == Case.id)
        .where(period.holds(Case.opened_at))
    )


def _percentile(ranked: Any, percent: int) -> Any:
    """The `percent` percentile of `ranked.c.seconds`, interpolated like percentile_cont.

    Position (n - 1) * p between the rows ranked `low` and `low + 1`; computed with integer
    arithmetic because the databases disagree on casting and rounding (PostgreSQL rounds
    a numeric cast to integer, SQLite truncates, and SQLite may lack floor()).
    """
    scaled = (ranked.c.n - 1) * percent
    remainder = scaled % 100
    low = (scaled - remainder) / 100  # exact: the numerator is a multiple of 100
    high = low + sa.case((remainder > 0, 1), else_=0)
    weight = remainder / 100.0
    return sa.cast(
        sa.func.sum(sa.case((ranked.c.rn == low, ranked.c.seconds * (1 - weight)), else_=0))
        + sa.func.sum(sa.case((ranked.c.rn == high, ranked.c.seconds * weight), else_=0)),
        sa.Float,
    )


def _percentiles_by(firsts: Any, by_day: bool) -> sa.sql.Select:
    partition = [firsts.c.day] if by_day else []
    ranked = sa.select(
        firsts.c.day,
        firsts.c.seconds,
        (sa.func.row_number().over(partition_by=partition, order_by=firsts.c.seconds) - 1).label(
            "rn"
        ),
        sa.func.count().over(partition_by=partition).label("n"),
    ).subquery("by_day" if by_day else "whole")
    columns = [
        sa.func.max(ranked.c.n).label("answered"),
        *(_percentile(ranked, p).label(f"p{p}") for p in PERCENTILES),
    ]
    if by_day:
        return sa.select(ranked.c.day, *columns).group_by(ranked.c.day)
    # One row even when no case was answered: its figures are then NULL.
    return sa.select(sa.literal("all", sa.String).label("day"), *columns)


async def reply_times(engine: AsyncEngine, period: DateRange) -> ReplyTimes:
    """Median and p90 of the wait from a case's opening to its first staff message, by day
    and over the whole range, in one statement (the first replies computed once)."""
    firsts = _first_replies(period).cte("first_replies")
    query = sa.union_all(_percentiles_by(firsts, by_day=True), _percentiles_by(firsts, False))
    opened = sa.select(sa.func.count(Case.id)).where(period.holds(Case.opened_at))
    async with engine.connect() as connection:
        rows = {row.day: row for row in (await connection.execute(query)).all()}
        opened_count = int((await connection.execute(opened)).scalar_one())

    def figures(day: date | None, key: str) -> ReplyDay:
        row = rows.get(key)
        if row is None or row.answered is None:
            return ReplyDay(day, 0, None, None)
        return ReplyDay(day, int(row.answered), float(row.p50), float(row.p90))

    days = [figures(day, day.isoformat()) for day in period.days]
    overall = figures(None, "all")
    return ReplyTimes(days, overall, opened_count - overall.answered)


# -- 3. cases per day by urgency -------------------------------------------------------


@dataclass(frozen=True)
class UrgencyDay:
    day: date
    counts: dict[str, int]  # urgency -> cases opened that day

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def cases_by_urgency(engine: AsyncEngine, period: DateRange) -> list[UrgencyDay]:
    """Cases opened per UTC day, split by urgency; days without cases read 0."""
    day = utc_day(Case.opened_at).label("day")
    query = (
        sa.select(day, Case.urgency, sa.func.count(Case.id).label("cases"))
        .where(period.holds(Case.opened_at))
        .group_by(day, Case.urgency)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row.day, {})[row.urgency] = int(row.cases)
    return [
        UrgencyDay(d, {u: counts.get(d.isoformat(), {}).get(u, 0) for u in URGENCIES})
        for d in period.days
    ]


# -- 4. ratings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    counts: dict[int, int]  # rating 1..5 -> cases

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.total
        return sum(r * n for r, n in self.counts.items()) / total if total else None


async def ratings(engine: AsyncEngine, period: DateRange) -> Ratings:
    """Patients' ratings (1-5) of cases closed in the range."""
    query = (
        sa.select(Case.rating, sa.func.count(Case.id).label("cases"))
        .where(Case.rating.is_not(None), period.holds(Case.closed_at))
        .group_by(Case.rating)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    found = {int(row.rating): int(row.cases) for row in rows}
    return Ratings({r: found.get(r, 0) for r in RATINGS})
