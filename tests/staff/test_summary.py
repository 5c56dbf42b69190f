"""The queue summary, where staff take cases over: urgent first, one Take over button a case,
and every page within Telegram's limits however long the queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from staff.summary import CASE_BUTTONS, TEXT_LIMIT, render_summary, shown_length
from tests.staff.test_card import case_with

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


def _cases(count: int, urgent: tuple[int, ...] = ()) -> list:
    return [
        replace(
            case_with({}),
            id=n,
            urgency="urgent" if n in urgent else "normal",
            queued_at=NOW - timedelta(minutes=count - n),
        )
        for n in range(1, count + 1)
    ]


def _buttons(view) -> list[tuple[str, str]]:
    return [button for row in view.rows for button in row]


def _names(count: int, name: str = "Kiran Sharma") -> dict[int, str]:
    first, _, last = name.partition(" ")
    return {n: f"{first}{n} {last}".strip() for n in range(1, count + 1)}


def _claims(view) -> list[str]:
    return [data for _, data in _buttons(view) if data.startswith("staff:claim:")]


def test_each_waiting_case_has_its_line_and_take_over_button_urgent_first() -> None:
    cases = _cases(3, urgent=(3,))
    ordered = [cases[2], cases[0], cases[1]]  # as the store gives them: urgent first
    view = render_summary(ordered, _names(3), NOW)
    lines = [line.replace("<b>", "").replace("</b>", "") for line in view.text.splitlines()]
    assert "Waiting cases" in lines[0] and "3" in lines[0]
    assert lines[1].startswith("🚨 1003 Kiran3") and "second opinion" in lines[1]
    assert lines[2].startswith("1001 Kiran1 ·") and lines[2].endswith("2 min")
    assert "Sharma" not in view.text  # the first name only
    labels = [label for label, _ in _buttons(view)]
    assert labels == [
        "🚨 Take over 1003 · Kiran3",
        "Take over 1001 · Kiran1",
        "Take over 1002 · Kiran2",
    ]
    assert _claims(view) == ["staff:claim:3", "staff:claim:1", "staff:claim:2"]
    assert view.pages == 1


def test_names_are_escaped_and_cut() -> None:
    view = render_summary(_cases(1), {1: "<b>Ann&Co" + "x" * 50}, NOW)
    assert "&lt;b&gt;Ann&amp;Co" in view.text and "<b>Ann" not in view.text
    label = _buttons(view)[0][0]
    assert label.endswith("…") and len(label.split("· ")[1]) == 16


def test_an_empty_queue_says_so_without_buttons() -> None:
    view = render_summary([], {}, NOW)
    assert view.text == "No cases are waiting." and view.rows == ()


def test_a_long_queue_is_paged_within_telegrams_limits() -> None:
    count = 400
    cases = _cases(count, urgent=(400,))
    ordered = [cases[-1], *cases[:-1]]
    names = {n: "Bartholomew-Alexander" * 3 for n in range(1, count + 1)}
    first = render_summary(ordered, names, NOW, overdue_seconds=60)
    assert first.pages > 1
    seen: list[str] = []
    for page in range(first.pages):
        view = render_summary(ordered, names, NOW, overdue_seconds=60, page=page)
        assert shown_length(view.text) <= TEXT_LIMIT
        buttons = _buttons(view)
        assert len(buttons) <= CASE_BUTTONS + 2 < 100
        assert all(len(data.encode()) <= 64 for _, data in buttons)
        nav = [data for _, data in buttons if data.startswith("staff:page:")]
        assert nav == [f"staff:page:{p}" for p in (page - 1, page + 1) if 0 <= p < first.pages]
        assert f"Page {page + 1} of {first.pages}" in view.text
        seen += _claims(view)
    # Every case on exactly one page, in the order given: the urgent one first.
    assert seen == [f"staff:claim:{case.id}" for case in ordered]
    # A page past the last shows the last.
    assert render_summary(ordered, names, NOW, overdue_seconds=60, page=99).page == first.pages - 1


def test_a_page_holds_at_most_ninety_cases_with_short_lines() -> None:
    view = render_summary(_cases(120), _names(120, "Al"), NOW)
    assert len(_claims(view)) == CASE_BUTTONS and view.pages == 2


def test_a_hundred_ordinary_cases_fit_on_few_pages() -> None:
    names = {n: f"Case{n:03d}x Bench" for n in range(1, 101)}
    view = render_summary(_cases(100), names, NOW)
    assert len(_claims(view)) >= 80 and shown_length(view.text) <= TEXT_LIMIT


def test_reminders_of_overdue_cases_stay_within_the_limit() -> None:
    cases = _cases(90)
    view = render_summary(cases, _names(90), NOW + timedelta(hours=5), overdue_seconds=60)
    assert view.text.count("has been waiting") == 5
    assert "85 more cases have been waiting too long" in view.text
    assert shown_length(view.text) <= TEXT_LIMIT and len(_claims(view)) >= 60
