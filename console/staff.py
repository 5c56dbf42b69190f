"""Who is staff right now, for the console: asked on every request, never cached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.context import StaffCheck

if TYPE_CHECKING:
    from bot.runtime import Runtime


def staff_check_for(runtime: Runtime) -> StaffCheck:
    """On STAFF_USER_IDS, or a member of the staff group now (getChatMember, uncached)."""
    allow_list = runtime.settings.staff_user_ids

    async def check(telegram_user_id: int) -> bool:
        if telegram_user_id in allow_list:
            return True
        app = runtime.app
        desk = app.bot_data.get("staff_desk") if app is not None else None
        if desk is None:  # no staff group configured: the allow-list alone decides
            return False
        # Fresh: someone who left the staff group must lose access at their next request.
        return bool(await desk.is_staff_id(telegram_user_id, fresh=True))

    return check
