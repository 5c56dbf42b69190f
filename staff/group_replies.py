"""What every staff-group handler needs: the desk, an answer in the group, the topic's case.

Shared by staff/handlers.py and staff/tool_handlers.py, so neither imports the other's helpers.
"""

from __future__ import annotations

from telegram import Message
from telegram.ext import ContextTypes

from staff.desk import StaffDeskService
from storage import CaseRef


def desk_of(context: ContextTypes.DEFAULT_TYPE) -> StaffDeskService:
    return context.application.bot_data["staff_desk"]


async def reply_in_group(desk: StaffDeskService, incoming: Message, text: str) -> None:
    """An answer to `incoming`, in its topic if it has one, through the group's paced sender."""
    thread_id = incoming.message_thread_id if incoming.is_topic_message else None
    await desk.reply_in_group(incoming.chat_id, thread_id, incoming.message_id, text)


async def topic_case(desk: StaffDeskService, incoming: Message) -> CaseRef | None:
    """The open case whose topic `incoming` was written in, if any."""
    if incoming.message_thread_id is None or not incoming.is_topic_message:
        return None
    case = await desk.lanes.case_by_topic(
        incoming.chat_id, incoming.message_thread_id, desk.chat_id
    )
    return case if case is not None and case.status != "closed" else None
