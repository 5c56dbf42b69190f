"""A button press whose callback query is already answered or too old (a replay after a crash,
or a turn taken over from a killed worker) is still handled: only the spinner's answer fails."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, NetworkError

from bot.handlers.common import answer_press


class Query:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.answers: list[str | None] = []

    async def answer(self, text: str | None = None, show_alert: bool = False) -> bool:
        """As CallbackQuery.answer (PTB): the text, and an alert for refusals."""
        if self.error is not None:
            raise self.error
        self.answers.append(text)
        return True


async def test_a_fresh_press_is_answered_with_its_text() -> None:
    query = Query()
    await answer_press(query, "Noted")
    await answer_press(query)
    assert query.answers == ["Noted", None]


async def test_an_answered_or_old_query_does_not_fail_the_turn() -> None:
    too_old = BadRequest("Query is too old and response timeout expired or query id is invalid")
    await answer_press(Query(too_old))  # no exception: the turn goes on


async def test_a_network_failure_still_fails_the_turn_so_it_is_run_again() -> None:
    with pytest.raises(NetworkError):
        await answer_press(Query(NetworkError("connection reset")))
