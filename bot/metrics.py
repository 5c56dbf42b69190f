"""The bot's Prometheus metrics: counted where things happen, exposed by the console's /metrics.

The metrics live in a registry of their own, created once per process, not in
prometheus-client's global one: nothing imported beside the bot (Rasa, a test) can add to
or clash with it, and the several Runtimes a test run starts one after another count into
the same process-wide figures, as a Prometheus target's counters should.

The store's figures (outbox backlog, queue, cases by status) are not kept in memory: they
are read from the database when Prometheus scrapes, so every worker reports the same truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, get_args

import sqlalchemy as sa
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from storage.models import CASE_STATUSES, URGENCIES, Case, OutboxMessage
from storage.timeutil import utcnow

if TYPE_CHECKING:
    from storage.db import Database

# The *_created series (when each counter began) double the output and say nothing here.
disable_created_metrics()
REGISTRY = CollectorRegistry()
# The process's CPU, memory and open files, the Python version and its garbage collector, as
# prometheus-client's default registry serves them (the same collectors, read at scrape time).
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

# How a turn (one update through TurnRunner) ended:
# answered: handled on the first attempt, replies delivered, marked processed;
# answered_after_retry: the dialogue or the database failed at first, then it went through;
# resumed: its replies were recorded before (a crash, a replay), what was left is delivered;
# duplicate: already processed (by this worker before, or another), skipped;
# unprocessed: every attempt failed, it is left for the next replay;
# error: an exception escaped the turn.
TurnOutcome = Literal[
    "answered", "answered_after_retry", "resumed", "duplicate", "unprocessed", "error"
]
TURN_OUTCOMES: tuple[TurnOutcome, ...] = get_args(TurnOutcome)
TURNS = Counter(
    "triage_turns",
    "Turns (updates handled through the durable inbox and outbox), by how they ended.",
    ["outcome"],
    registry=REGISTRY,
)
# Bound once: .labels() looks the child up under a lock on every call.
TURN_OUTCOME: dict[TurnOutcome, Counter] = {
    outcome: TURNS.labels(outcome) for outcome in TURN_OUTCOMES
}
TURN_SECONDS = Histogram(
    "triage_turn_duration_seconds",
    "From a turn's start to its replies delivered (answered, answered_after_retry, resumed).",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)

TELEGRAM_ERROR_KINDS = (
    "RetryAfter",
    "Forbidden",
    "BadRequest",
    "TimedOut",
    "NetworkError",
    "other",
)
TELEGRAM_ERRORS = Counter(
    "triage_telegram_errors",
    "Telegram errors met delivering the outbox, by kind.",
    ["kind"],
    registry=REGISTRY,
)
TELEGRAM_ERROR = {kind: TELEGRAM_ERRORS.labels(kind) for kind in TELEGRAM_ERROR_KINDS}

RATE_LIMITER_WAIT_SECONDS = Histogram(
    "triage_rate_limiter_wait_seconds",
    "How long a Bot API request waited in the rate limiter (its queue and flood waits).",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
RATE_LIMITER_RETRY_AFTER = Counter(
    "triage_rate_limiter_retry_after",
    "Flood-control answers (429 RetryAfter) the rate limiter received from Telegram.",
    registry=REGISTRY,
)


def telegram_error_kind(error: BaseException) -> str:
    """The label for a Telegram error; TimedOut is a NetworkError, so it is asked first."""
    for kind in (RetryAfter, Forbidden, BadRequest, TimedOut, NetworkError):
        if isinstance(error, kind):
            return kind.__name__
    return "other"


def count_telegram_error(error: BaseException) -> None:
    """One more Telegram error of this error's kind."""
    TELEGRAM_ERROR[telegram_error_kind(error)].inc()


# -- the store's figures, read at scrape time ---------------------------------------------


@dataclass(frozen=True)
class StoreFigures:
    """What the database says right now; ages in seconds, 0 when nothing waits."""

    outbox_backlog: int = 0
    outbox_oldest_pending_seconds: float = 0.0
    queue_by_urgency: dict[str, int] = field(default_factory=dict)
    queue_oldest_wait_seconds: float = 0.0
    cases_by_status: dict[str, int] = field(default_factory=dict)


async def read_store_figures(database: Database) -> StoreFigures:
    """Three small queries on indexed columns, in one connection."""
    pending = sa.select(sa.func.count(), sa.func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status == "pending"
    )
    queued = (
        sa.select(Case.urgency, sa.func.count(), sa.func.min(Case.queued_at))
        .where(Case.status == "queued")
        .group_by(Case.urgency)
    )
    by_status = sa.select(Case.status, sa.func.count()).group_by(Case.status)
    async with database.engine.connect() as connection:
        backlog, oldest_pending = (await connection.execute(pending)).one()
        queue_rows = (await connection.execute(queued)).all()
        status_rows = (await connection.execute(by_status)).all()
    now = utcnow()
    oldest_queued = min((row[2] for row in queue_rows if row[2] is not None), default=None)
    return StoreFigures(
        outbox_backlog=int(backlog),
        outbox_oldest_pending_seconds=_age(now, oldest_pending),
        queue_by_urgency={str(row[0]): int(row[1]) for row in queue_rows},
        queue_oldest_wait_seconds=_age(now, oldest_queued),
        cases_by_status={str(row[0]): int(row[1]) for row in status_rows},
    )


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    return max(0.0, (now - since).total_seconds())


def store_families(figures: StoreFigures | None) -> list[Metric]:
    """The store's gauges; with no figures (the database did not answer) only that it failed."""
    up = GaugeMetricFamily(
        "triage_store_scrape_ok", "1 when the store's figures below were read at this scrape."
    )
    up.add_metric([], 1.0 if figures is not None else 0.0)
    if figures is None:
        return [up]
    backlog = GaugeMetricFamily(
        "triage_outbox_backlog", "Outbox entries (messages and follow-up tasks) not yet sent."
    )
    backlog.add_metric([], figures.outbox_backlog)
    oldest = GaugeMetricFamily(
        "triage_outbox_oldest_pending_seconds", "Age of the oldest outbox entry not yet sent."
    )
    oldest.add_metric([], figures.outbox_oldest_pending_seconds)
    queue = GaugeMetricFamily(
        "triage_queue_length", "Cases waiting for a staff member, by urgency.", labels=["urgency"]
    )
    for urgency in _with_known(URGENCIES, figures.queue_by_urgency):
        queue.add_metric([urgency], figures.queue_by_urgency.get(urgency, 0))
    wait = GaugeMetricFamily(
        "triage_queue_oldest_wait_seconds", "How long the longest-waiting queued case has waited."
    )
    wait.add_metric([], figures.queue_oldest_wait_seconds)
    cases = GaugeMetricFamily("triage_cases", "Cases by status.", labels=["status"])
    for status in _with_known(CASE_STATUSES, figures.cases_by_status):
        cases.add_metric([status], figures.cases_by_status.get(status, 0))
    return [up, backlog, oldest, queue, wait, cases]


def _with_known(known: Iterable[str], seen: dict[str, int]) -> list[str]:
    """Every known value (0 when absent, so a series never vanishes), then any other seen."""
    values = list(known)
    return values + sorted(value for value in seen if value not in values)


class _Scrape:
    """The registry's metrics followed by this scrape's store gauges (a Collector)."""

    def __init__(self, extra: list[Metric]) -> None:
        self._extra = extra

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        yield from self._extra


def exposition(figures: StoreFigures | None) -> bytes:
    """The Prometheus text format of everything, with the store's figures of this scrape."""
    return generate_latest(_Scrape(store_families(figures)))  # type: ignore[arg-type]
