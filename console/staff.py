"""Who is staff right now, for the console: asked on every request, never cached."""

from __future__ import annotations

from console.context import StaffCheck, StaffCheckUnavailable
from console.host import ConsoleHost
from staff.membership import MembershipUnavailable


def staff_check_for(runtime: ConsoleHost) -> StaffCheck:
    """On STAFF_USER_IDS, or a member of a staff group now (getChatMember, uncached).

    Raises StaffCheckUnavailable when no group said yes and Telegram could not be asked.
    """
    allow_list = runtime.settings.staff_user_ids

    async def check(telegram_user_id: int) -> bool:
        if telegram_user_id in allow_list:
            return True
        app = runtime.app
        desk = app.bot_data.get("staff_desk") if app is not None else None
        if desk is None:  # no staff group configured: the allow-list alone decides
            return False
        # Fresh: someone who left the staff group must lose access at their next request.
        try:
            return bool(await desk.is_staff_id(telegram_user_id, fresh=True))
        except MembershipUnavailable as error:
            raise StaffCheckUnavailable(str(error)) from error

    return check
