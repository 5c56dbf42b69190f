"""The reports' date range, read from `start` and `end` (YYYY-MM-DD, whole UTC days)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

from storage.report_queries import DateRange

DEFAULT_DAYS = 30
MAX_DAYS = 366


class BadRange(ValueError):
    """A date range the reports cannot use; the message says why, for the user."""


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def parse_range(params: Mapping[str, str], today: date | None = None) -> DateRange:
    """`start` and `end` (YYYY-MM-DD, both included); either missing takes its default."""
    today = today or today_utc()

    def read(name: str, default: date) -> date:
        raw = (params.get(name) or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadRange(f"{name}: {raw[:40]!r} is not a date written as YYYY-MM-DD.") from None

    end = read("end", today)
    start = read("start", end - timedelta(days=DEFAULT_DAYS - 1))
    if end >= date.max:  # the range's exclusive bound, the next day, would not exist
        raise BadRange(f"end ({end}) is past the last day a calendar can hold.")
    if start > end:
        raise BadRange(f"start ({start}) is after end ({end}).")
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise BadRange(f"The range spans {span} days; at most {MAX_DAYS} are shown at once.")
    return DateRange(start, end)
