"""Placeholder until the auth work fills it in (issue 14)."""

from typing import Any


def staff_check_for(runtime: Any) -> Any:
    async def check(user_id: int) -> bool:
        return False

    return check
