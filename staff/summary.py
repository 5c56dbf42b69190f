"""The queue summary's wording: the waiting cases with a Take over button each, in pages.

One message per staff group, edited in place, is where staff take cases over from (a case's
topic and card may come later: staff/topics.py). Telegram's limits are kept on every page: at
most 4,096 characters of text once its HTML is parsed, at most 100 buttons (here 90 cases and
the two page buttons), callback data of at most 64 bytes. Urgent cases come first, then the
longest waiting; a page holds as many as fit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape, unescape

from bot.content import message
from staff.card import reason_label
from storage import CaseRef

TEXT_LIMIT = 4096
CASE_BUTTONS = 90  # per page; Telegram allows about 100 buttons in one keyboard
CALLBACK_LIMIT = 64
NAME_CHARS = 20
BUTTON_NAME_CHARS = 16
REMINDER_LINES = 5  # a page's reminders of overdue cases; more are counted in one line
_TAG = re.compile(r"<[^>]+>")

Button = tuple[str, str]  # (label, callback_data)


@dataclass(frozen=True)
class SummaryView:
    """One page of the summary: its HTML text and its keyboard, row by row."""

    text: str
    rows: tuple[tuple[Button, ...], ...]
    page: int
    pages: int


def shown_length(html: str) -> int:
    """The text's length as Telegram counts it: tags parsed away, in UTF-16 code units."""
    plain = unescape(_TAG.sub("", html))
    return len(plain.encode("utf-16-le")) // 2


def first_name(display_name: str) -> str:
    """The patient's first name (what staff call them in the summary)."""
    words = display_name.split()
    return words[0] if words else "?"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class _Entry:
    case_id: int
    line: str
    reminder: str | None
    button: Button

    @property
    def cost(self) -> int:
        return shown_length(self.line) + 1


def _entry(case: CaseRef, name: str, now: datetime, overdue_seconds: float | None) -> _Entry:
    waited = (now - (case.queued_at or case.opened_at)).total_seconds()
    minutes = max(0, int(waited // 60))
    urgent = case.urgency == "urgent"
    badge = message("staff.summary.urgent_badge") if urgent else ""
    line = message(
        "staff.summary.line",
        badge=badge,
        reference=case.reference,
        name=escape(_cut(first_name(name), NAME_CHARS)),
        reason=escape(reason_label(case)),
        minutes=minutes,
    )
    reminder = None
    if overdue_seconds is not None and waited >= overdue_seconds:
        reminder = message("staff.still_waiting", reference=case.reference, minutes=minutes)
    label = message(
        "staff.summary.button",
        badge=badge,
        reference=case.reference,
        name=_cut(first_name(name), BUTTON_NAME_CHARS),
    )
    data = f"staff:claim:{case.id}"
    assert len(data.encode()) <= CALLBACK_LIMIT
    return _Entry(case.id, line, reminder, (label, data))


def _pages(entries: Sequence[_Entry], room: int) -> list[list[_Entry]]:
    """Entries in order, as many a page as fit in `room` characters and CASE_BUTTONS."""
    pages: list[list[_Entry]] = [[]]
    used = 0
    for entry in entries:
        current = pages[-1]
        if current and (used + entry.cost > room or len(current) >= CASE_BUTTONS):
            pages.append([])
            used = 0
        pages[-1].append(entry)
        used += entry.cost
    return pages


def render_summary(
    cases: Sequence[CaseRef],
    names: Mapping[int, str],
    now: datetime,
    *,
    overdue_seconds: float | None = None,
    page: int = 0,
) -> SummaryView:
    """The summary's page `page` (clamped to the pages there are) for these waiting cases,
    given in the order to show them (urgent first, then oldest)."""
    if not cases:
        return SummaryView(message("staff.queue_empty"), (), 0, 1)
    entries = [_entry(c, names.get(c.id, "?"), now, overdue_seconds) for c in cases]
    header = message("staff.summary.header", count=len(cases))
    longest = [
        message("staff.summary.page", page=999, pages=999),
        message("staff.summary.more_reminders", count=9999),
        *sorted((e.reminder for e in entries if e.reminder), key=shown_length)[-REMINDER_LINES:],
    ]
    room = TEXT_LIMIT - shown_length(header) - sum(shown_length(t) + 1 for t in longest)
    pages = _pages(entries, room)
    page = min(max(page, 0), len(pages) - 1)
    shown = pages[page]
    lines = [header]
    if len(pages) > 1:
        lines.append(message("staff.summary.page", page=page + 1, pages=len(pages)))
    lines += [e.line for e in shown]
    reminders = [e.reminder for e in shown if e.reminder]
    lines += reminders[:REMINDER_LINES]
    if len(reminders) > REMINDER_LINES:
        more = len(reminders) - REMINDER_LINES
        lines.append(message("staff.summary.more_reminders", count=more))
    rows: list[tuple[Button, ...]] = [(e.button,) for e in shown]
    nav: list[Button] = []
    if page > 0:
        nav.append((message("staff.summary.older"), f"staff:page:{page - 1}"))
    if page < len(pages) - 1:
        nav.append((message("staff.summary.newer"), f"staff:page:{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    return SummaryView("\n".join(lines), tuple(rows), page, len(pages))
