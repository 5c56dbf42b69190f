"""Who is staff: a failure to ask Telegram is not a no, for the console's fresh check.

A fake bot answers getChatMember per staff group: a status, or the error Telegram's
client would raise. A member of any group is staff; "cannot tell" only when no group
said yes and one could not be asked.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from console.context import StaffCheckUnavailable
from console.staff import staff_check_for
from staff.membership import MembershipUnavailable, StaffMembership

pytestmark = pytest.mark.asyncio

USER = 900_000_001
ALLOWED = 900_000_002
GROUP_A, GROUP_B = -1001, -1002


class FakeBot:
    """getChatMember as each group answers it: a status string, or an exception raised."""

    def __init__(self, answers: dict[int, object]) -> None:
        self.answers = answers
        self.calls: list[int] = []

    async def get_chat_member(self, chat_id: int, user_id: int, **_: object) -> object:
        self.calls.append(chat_id)
        answer = self.answers[chat_id]
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(status=answer)


def _membership(answers: dict[int, object]) -> StaffMembership:
    desk = StaffMembership.__new__(StaffMembership)
    desk.bot = FakeBot(answers)  # type: ignore[assignment]
    desk.allow_list = frozenset({ALLOWED})
    desk.chat_ids = tuple(answers)
    desk._membership = {}
    return desk


TRANSIENT = [
    pytest.param(NetworkError("connection reset"), id="network"),
    pytest.param(TimedOut(), id="timed-out"),
    pytest.param(RetryAfter(30), id="retry-after"),
]
NOT_THERE = [
    pytest.param(BadRequest("Bad Request: user not found"), id="user-not-found"),
    pytest.param(BadRequest("Bad Request: chat not found"), id="chat-not-found"),
    pytest.param(Forbidden("Forbidden: bot was kicked"), id="forbidden"),
]


@pytest.mark.parametrize("error", TRANSIENT)
async def test_a_transient_failure_is_unavailable_not_a_no(error: Exception) -> None:
    desk = _membership({GROUP_A: error})
    with pytest.raises(MembershipUnavailable):
        await desk.is_staff_id(USER, fresh=True)


@pytest.mark.parametrize("error", NOT_THERE)
async def test_user_or_chat_not_found_means_not_staff(error: Exception) -> None:
    assert await _membership({GROUP_A: error}).is_staff_id(USER, fresh=True) is False


@pytest.mark.parametrize("error", TRANSIENT)
async def test_a_member_of_another_group_is_staff_whatever_one_group_failed(
    error: Exception,
) -> None:
    assert await _membership({GROUP_A: error, GROUP_B: "member"}).is_staff_id(USER, fresh=True)


async def test_one_group_says_no_and_another_cannot_be_asked_is_unavailable() -> None:
    desk = _membership({GROUP_A: "left", GROUP_B: TimedOut()})
    with pytest.raises(MembershipUnavailable):
        await desk.is_staff_id(USER, fresh=True)


async def test_every_group_says_no_is_not_staff() -> None:
    desk = _membership({GROUP_A: "left", GROUP_B: BadRequest("Bad Request: user not found")})
    assert await desk.is_staff_id(USER, fresh=True) is False


async def test_the_allow_list_needs_no_telegram() -> None:
    desk = _membership({GROUP_A: TimedOut()})
    assert await desk.is_staff_id(ALLOWED, fresh=True)
    assert desk.bot.calls == []  # type: ignore[attr-defined]


async def test_the_handlers_cached_check_counts_a_failure_as_no_and_asks_again() -> None:
    """Without `fresh` nothing raises; the failure is not cached, so the next ask is real."""
    desk = _membership({GROUP_A: TimedOut()})
    assert await desk.is_staff_id(USER) is False
    desk.bot.answers[GROUP_A] = "member"  # type: ignore[attr-defined]
    assert await desk.is_staff_id(USER)
    assert desk.bot.calls == [GROUP_A, GROUP_A]  # type: ignore[attr-defined]


def _runtime(desk: StaffMembership) -> SimpleNamespace:
    return SimpleNamespace(
        settings=SimpleNamespace(staff_user_ids=frozenset()),
        app=SimpleNamespace(bot_data={"staff_desk": desk}),
    )


async def test_the_consoles_check_raises_its_own_unavailable() -> None:
    check = staff_check_for(_runtime(_membership({GROUP_A: NetworkError("down")})))  # type: ignore[arg-type]
    with pytest.raises(StaffCheckUnavailable):
        await check(USER)
    gone = staff_check_for(_runtime(_membership({GROUP_A: "kicked"})))  # type: ignore[arg-type]
    assert await gone(USER) is False
