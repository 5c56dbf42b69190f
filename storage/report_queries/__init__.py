"""The reports' figures, read with SQLAlchemy Core: aggregates in the database, never writes.

Every query groups in SQL (GROUP BY, window functions), so a report over 10,000 cases
returns a few dozen rows. The same statements run on SQLite and PostgreSQL: the two
dialect-specific pieces (a timestamp's UTC day, seconds between two timestamps) are small
SQL constructs compiled for each, and percentiles are computed with window functions
and integer arithmetic that both databases agree on.

| module | what it reads |
| --- | --- |
| `storage/report_queries/sql.py` | `DateRange`, `utc_day`, `seconds_between`, Rasa's events table |
| `storage/report_queries/funnel.py` | 1. the funnel's seven steps |
| `storage/report_queries/reply_times.py` | 2. time to first staff reply, and `percentile` |
| `storage/report_queries/cases.py` | 3. cases per day by urgency; 4. ratings |
"""

from __future__ import annotations

from storage.report_queries.cases import (
    RATINGS,
    Ratings,
    UrgencyDay,
    cases_by_urgency,
    ratings,
)
from storage.report_queries.funnel import (
    CATEGORY_INTENT,
    FUNNEL_DEFINITIONS,
    SECOND_OPINION_RESULT_ACTION,
    Funnel,
    FunnelStep,
    funnel,
)
from storage.report_queries.reply_times import (
    PERCENTILES,
    ReplyDay,
    ReplyTimes,
    percentile,
    reply_times,
)
from storage.report_queries.sql import (
    RASA_EVENTS,
    DateRange,
    has_events_table,
    seconds_between,
    utc_day,
)

__all__ = [
    "CATEGORY_INTENT",
    "FUNNEL_DEFINITIONS",
    "PERCENTILES",
    "RASA_EVENTS",
    "RATINGS",
    "SECOND_OPINION_RESULT_ACTION",
    "DateRange",
    "Funnel",
    "FunnelStep",
    "Ratings",
    "ReplyDay",
    "ReplyTimes",
    "UrgencyDay",
    "cases_by_urgency",
    "funnel",
    "has_events_table",
    "percentile",
    "ratings",
    "reply_times",
    "seconds_between",
    "utc_day",
]
